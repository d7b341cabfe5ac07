#!/usr/bin/env bash
# Issue #5 figures: forget + prune and check (with and without --read-data), this project's `backup` CLI beside
# restic, on the same data, measured back to back in one run (the machine is shared: compare ratios).
# Usage: benchmarks/maintenance-compare.sh [ROUNDS]     (run from the repository's root; default 3 rounds)
# Env:   BENCH_DIR (scratch, default /tmp/backup-maint-bench), BENCH_CORPUS (base directory; default a copy of the
#        .NET SDK folder, as ../shared/bench/compare.sh uses), SNAPSHOTS (default 10), KEEP (default 3),
#        BACKUP_CLI (a built `backup`; default: dotnet publish src/Backup.Cli -c Release),
#        BASELINE_CLI (optional: an earlier build of `backup`, measured on the same repository copies in the same
#        rounds, so a change is compared with what it replaces as well as with restic), REUSE_REPOS=1 (keep the
#        repositories a previous run built in BENCH_DIR and only measure).
# Builds one repository per tool from SNAPSHOTS states of the corpus: state i is the base plus gen/ holding
# 5 x 8 MiB of random data unique to state i (state i-1's gen/ is removed) and a rewritten 4 MiB log. Then, per
# round and per tool, on a fresh copy of the repository: `forget --keep-last KEEP --prune`; and on the pruned
# repository: `check` and `check --read-data`. Prints median wall seconds, peak RSS and read-data MB/s (repository
# bytes / seconds), and ours / restic.
set -euo pipefail
rounds=${1:-3}
bench=${BENCH_DIR:-/tmp/backup-maint-bench}
snapshots=${SNAPSHOTS:-10}
keep=${KEEP:-3}
mkdir -p "$bench"
export RESTIC_PASSWORD=bench-pass BACKUP_PASSWORD=bench-pass
command -v restic >/dev/null || { echo "restic is not installed (apt-get install restic)"; exit 1; }

base=${BENCH_CORPUS:-$bench/base}
if [[ -z ${BENCH_CORPUS:-} && ! -d $base ]]; then
  cp -a "$(dirname "$(readlink -f "$(command -v dotnet)")")" "$base"
fi

cli=${BACKUP_CLI:-}
if [[ -z $cli ]]; then
  dotnet publish src/Backup.Cli -c Release -o "$bench/cli" --nologo -v q -m:1 >/dev/null
  cli=$bench/cli/backup
fi

# timed NAME CMD...: runs CMD under /usr/bin/time, appends "NAME wall rss_kb" to $bench/times; fails loudly
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$bench/t" "$@" >"$bench/out" 2>"$bench/err" || { echo "FAILED: $*"; cat "$bench/out" "$bench/err"; exit 1; }
  echo "$name $(cat "$bench/t")" >>"$bench/times"
}

work=$bench/corpus
ours=$bench/repo-backup restic_repo=$bench/repo-restic
rm -f "$bench/times"
if [[ ${REUSE_REPOS:-} == 1 && -d $ours && -d $restic_repo ]]; then
  echo "reusing the repositories in $bench"
else
rm -rf "$work" "$ours" "$restic_repo"
cp -a "$base" "$work"
echo "corpus: $base ($(du -sh "$base" | cut -f1), $(find "$base" -type f | wc -l) files); $snapshots states, keep-last $keep"
"$cli" init --repo "$ours" >/dev/null
restic init -q -r "$restic_repo" >/dev/null
for ((i = 1; i <= snapshots; i++)); do
  rm -rf "$work/gen"; mkdir -p "$work/gen"
  for f in 1 2 3 4 5; do head -c $((8 << 20)) /dev/urandom >"$work/gen/data-$f.bin"; done
  seq $((i * 1000)) $((i * 1000 + 450000)) >"$work/gen/log.txt"
  "$cli" create --repo "$ours" -q "$work" >/dev/null
  restic -q -r "$restic_repo" backup "$work" >/dev/null
done
fi
echo "built: ours $(du -sm "$ours" | cut -f1) MB, restic $(du -sm "$restic_repo" | cut -f1) MB"
tar cf - "$work" "$ours" "$restic_repo" 2>/dev/null | cat >/dev/null  # page cache alike for both

tools="backup restic"
[[ -n ${BASELINE_CLI:-} ]] && tools="baseline backup restic"
for ((r = 1; r <= rounds; r++)); do
  for tool in $tools; do
    copy=$bench/prune-$tool; rm -rf "$copy"
    if [[ $tool == backup || $tool == baseline ]]; then
      exe=$cli; [[ $tool == baseline ]] && exe=$BASELINE_CLI
      cp -a "$ours" "$copy"
      before=$(du -sb "$copy" | cut -f1)
      timed "$tool-forget-prune" "$exe" forget --repo "$copy" --keep-last "$keep" --prune
    else
      cp -a "$restic_repo" "$copy"
      before=$(du -sb "$copy" | cut -f1)
      timed "restic-forget-prune" restic -r "$copy" forget --keep-last "$keep" --prune
    fi
    echo "$tool-size $before $(du -sb "$copy" | cut -f1)" >>"$bench/times"
  done
  for tool in $tools; do
    copy=$bench/prune-$tool
    if [[ $tool == backup || $tool == baseline ]]; then
      exe=$cli; [[ $tool == baseline ]] && exe=$BASELINE_CLI
      timed "$tool-check" "$exe" check --repo "$copy"
      timed "$tool-check-read-data" "$exe" check --repo "$copy" --read-data
    else
      timed "restic-check" restic -r "$copy" check
      timed "restic-check-read-data" restic -r "$copy" check --read-data
    fi
  done
done

median() { sort -n | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -v n="$1" -v k="$2" '$1==n{print $k}' "$bench/times" | median; }
printf "\n%-24s %10s %12s %14s\n" step seconds peak_RSS_MB "read MB/s"
for step in forget-prune check check-read-data; do
  for tool in $tools; do
    s=$(col "$tool-$step" 2) m=$(col "$tool-$step" 3)
    after=$(col "$tool-size" 3)
    rate=-; [[ $step == check-read-data ]] && rate=$(awk -v b="$after" -v s="$s" 'BEGIN{printf "%.0f", b/1e6/s}')
    printf "%-24s %10.2f %12.0f %14s\n" "$tool $step" "$s" "$(awk -v m="$m" 'BEGIN{print m/1024}')" "$rate"
  done
  printf "%-24s %10.2f %12.2f\n" "ours/restic" "$(awk -v a="$(col "backup-$step" 2)" -v b="$(col "restic-$step" 2)" 'BEGIN{print a/b}')" \
    "$(awk -v a="$(col "backup-$step" 3)" -v b="$(col "restic-$step" 3)" 'BEGIN{print a/b}')"
  if [[ -n ${BASELINE_CLI:-} ]]; then
    printf "%-24s %10.2f %12.2f\n" "baseline/restic" "$(awk -v a="$(col "baseline-$step" 2)" -v b="$(col "restic-$step" 2)" 'BEGIN{print a/b}')" \
      "$(awk -v a="$(col "baseline-$step" 3)" -v b="$(col "restic-$step" 3)" 'BEGIN{print a/b}')"
  fi
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
for tool in $tools; do
  printf "%-8s repository before prune %6.0f MB, after %6.0f MB\n" "$tool" "$(col "$tool-size" 2 | awk '{print $1/1e6}')" "$(col "$tool-size" 3 | awk '{print $1/1e6}')"
done
