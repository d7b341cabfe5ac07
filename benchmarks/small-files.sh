#!/usr/bin/env bash
# Issue 3's second corpus: 100,000 small files, backed up (first and unchanged) and restored by this project's
# `backup` CLI and by restic, back to back in one run, each restore compared with the corpus.
# Usage: bash benchmarks/small-files.sh [FILES] [ROUNDS]   (from the project's root; defaults 100000 and 3)
# Env:   BENCH_DIR (scratch, default /tmp/backup-small-bench), BACKUP_CLI (a built `backup`; default: published here)
# Prints the median seconds and peak RSS of each step per tool, then our ratios (lower is better).
set -euo pipefail
files=${1:-100000}
rounds=${2:-3}
bench=${BENCH_DIR:-/tmp/backup-small-bench}
mkdir -p "$bench"
export RESTIC_PASSWORD=bench-pass BACKUP_PASSWORD=bench-pass
command -v restic >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic >/dev/null; }

corpus=$bench/corpus-$files
if [[ ! -d $corpus ]]; then
  # 100 directories of small files, 200 B to 16 KiB, a third of them text-like (compressible), the rest random.
  python3 - "$corpus" "$files" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
words = [b"backup", b"restore", b"snapshot", b"chunk", b"pack", b"index", b"tree", b"blob", b"key", b"lock"]
for i in range(n):
    d = os.path.join(root, f"d{i % 100:03d}", f"s{(i // 100) % 10}")
    os.makedirs(d, exist_ok=True)
    size = int(rng.lognormvariate(8, 1.0)) % 16384 + 200
    if i % 3 == 0:
        data = b" ".join(rng.choice(words) for _ in range(size // 6))[:size]
    else:
        data = rng.randbytes(size)
    with open(os.path.join(d, f"f{i}.dat"), "wb") as f:
        f.write(data)
PY
fi
echo "corpus: $corpus ($(du -sh "$corpus" | cut -f1), $(find "$corpus" -type f | wc -l) files)"

cli=${BACKUP_CLI:-}
if [[ -z $cli ]]; then
  dotnet publish src/Backup.Cli -c Release -o "$bench/cli" --nologo -v q >/dev/null
  cli=$bench/cli/backup
fi

timed() { /usr/bin/time -f "%e %M" -o "$bench/t" "$@" >/dev/null 2>"$bench/err" || { echo "FAILED: $*"; cat "$bench/err"; exit 1; }; cat "$bench/t"; }

run_tool() { # tool -> "first_s first_rss unchanged_s restore_s restore_rss"
  local tool=$1 repo=$bench/repo-$1 out=$bench/restore-$1 f s r
  rm -rf "$repo" "$out"; mkdir -p "$out"
  case $tool in
    restic)
      restic init -q -r "$repo" >/dev/null
      f=$(timed restic -q -r "$repo" backup "$corpus")
      s=$(timed restic -q -r "$repo" backup "$corpus")
      r=$(timed restic -q -r "$repo" restore latest --target "$out") ;;
    backup)
      "$cli" init --repo "$repo" >/dev/null
      f=$(timed "$cli" create --repo "$repo" "$corpus")
      s=$(timed "$cli" create --repo "$repo" "$corpus")
      r=$(timed "$cli" restore --repo "$repo" latest --target "$out") ;;
  esac
  diff -r "$corpus" "$out$corpus" >/dev/null || { echo "RESTORE DIFFERS for $tool"; exit 1; }
  echo "${f% *} ${f#* } ${s% *} ${r% *} ${r#* }"
}

declare -A rows
for ((i = 1; i <= rounds; i++)); do
  for t in restic backup; do rows[$t]+="$(run_tool "$t")"$'\n'; done
done

median() { sort -n | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf "%-8s %9s %13s %12s %10s %15s\n" tool first_s first_rss_MB unchanged_s restore_s restore_rss_MB
declare -A med
for t in restic backup; do
  for k in 1 2 3 4 5; do med[$t,$k]=$(printf '%s' "${rows[$t]}" | awk -v k=$k 'NF{print $k}' | median); done
  printf "%-8s %9.2f %13.0f %12.2f %10.2f %15.0f\n" "$t" "${med[$t,1]}" "$(echo "${med[$t,2]}/1024" | bc -l)" "${med[$t,3]}" "${med[$t,4]}" "$(echo "${med[$t,5]}/1024" | bc -l)"
done
ratio() { echo "scale=2; ${med[backup,$1]}/${med[restic,$1]}" | bc -l; }
echo "backup/restic: first $(ratio 1), first RSS $(ratio 2), unchanged $(ratio 3), restore $(ratio 4), restore RSS $(ratio 5)"
