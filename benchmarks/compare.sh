#!/usr/bin/env bash
# The headline comparison: this project's `backup` CLI beside restic and borg, on the same corpus, in one run,
# tools interleaved round by round. Prints the median of every step per tool and our ratios (ours / theirs; below 1
# is better).
# Usage: bash benchmarks/compare.sh [ROUNDS]      (default 3 rounds; any working directory)
# Env:   BENCH_CORPUS=DIR   back up a copy of DIR (the copy takes the 1% change; DIR itself is not touched)
#        BENCH_SHAPE=small|large|duplicates|mixed   else generate a corpus of that shape (default mixed; see below)
#        BENCH_SCALE=N      multiply the generated corpus's file counts and sizes by N (default 1: 80-260 MiB)
#        BENCH_DIR          scratch folder on disk: corpus, repositories, disk restores (default /tmp/backup-compare)
#        BENCH_RAM_DIR      RAM-backed folder for the second restore (default /dev/shm/backup-compare; skipped
#                           when it has too little room)
#        BACKUP_CLI         a built `backup` to measure (default: the native build `dotnet publish src/Backup.Cli
#                           -c Release` gives, published into BENCH_DIR/cli)
#        BENCH_INSTALLED=1  also measure the installed tool as its own column "installed": `dotnet pack
#                           src/Backup.Cli` into BENCH_DIR/packages, `dotnet tool install --tool-path BENCH_DIR/tool`
#                           from there (or BENCH_INSTALLED=PATH: an already installed `backup` to measure)
#        BENCH_TOOLS        which reference tools to run (default "restic borg"); restic and borg come from Debian
#                           (apt-get, as root or with sudo) when missing
#        BENCH_GENERATE_ONLY=1  generate (or reuse) the corpus BENCH_DIR/corpus-SHAPE-xSCALE and stop
# Per round and tool, into a fresh repository on disk: first backup, unchanged re-backup, re-backup after 1% of
# the corpus's bytes changed (the same bytes for every tool), restore of that snapshot into BENCH_DIR (disk) and
# into BENCH_RAM_DIR (RAM), each checked against the corpus with diff -r; repository size after the first backup
# and its growth from the 1% change. Wall time and peak RSS come from /usr/bin/time. The corpus is read once
# before the first round, and each repository before each restore, so every tool starts from the page cache; disk restores include whatever writeback the
# kernel does while they run (nothing is synced), which is why the RAM restore is measured too. The disk restores
# stay in BENCH_DIR until the run ends (one per tool and round: give it that much room), so that no restore pays
# for deleting the one before it.
# Generated shapes (deterministic: a seeded generator, no downloads; sizes at BENCH_SCALE=1):
#   small       20,000 files of 200 B-16 KiB in 200 directories, a third text-like (81 MiB)
#   large       4 files of 64 MiB: random, log-like text, low-entropy binary, alternating runs of both (256 MiB)
#   duplicates  24 files of 1-4 MiB, each stored 4 times (copies under other names, one copy shifted by a few bytes)
#   mixed       5,000 small files, 2 files of 32 MiB, 12 files of 1-4 MiB each also copied twice, a text tree (~200 MiB)
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(...) stops the run too
rounds=${1:-3}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive number, not '$rounds'"; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH_DIR:-/tmp/backup-compare}
ram=${BENCH_RAM_DIR:-/dev/shm/backup-compare}
shape=${BENCH_SHAPE:-mixed}
scale=${BENCH_SCALE:-1}
mkdir -p "$bench"
bench=$(cd "$bench" && pwd)
rm -rf "$bench/set-aside"; mkdir -p "$bench/set-aside"  # an interrupted run's restored trees (see restore_into)
export RESTIC_PASSWORD=bench-pass BORG_PASSPHRASE=bench-pass BACKUP_PASSWORD=bench-pass
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
export BORG_CACHE_DIR=$bench/borg-cache BORG_CONFIG_DIR=$bench/borg-config BORG_BASE_DIR=$bench/borg-base
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# apt_install COMMAND PACKAGE: installs PACKAGE from Debian when COMMAND is missing.
apt_install() {
  command -v "$1" >/dev/null 2>&1 && return
  local sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
  command -v apt-get >/dev/null || { echo "$1 is missing and this machine has no apt-get: install $2 first"; exit 1; }
  echo "installing $2 (apt-get)"
  $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$2" >/dev/null \
    || { echo "apt-get install $2 failed: install it yourself, or leave it out with BENCH_TOOLS"; exit 1; }
}
read -r -a refs <<<"${BENCH_TOOLS:-restic borg}"
[[ ${BENCH_GENERATE_ONLY:-} == 1 ]] && refs=()
for t in "${refs[@]}"; do
  case $t in
    restic) apt_install restic restic ;;
    borg) apt_install borg borgbackup ;;
    *) echo "BENCH_TOOLS: unknown tool '$t' (restic, borg)"; exit 2 ;;
  esac
done
[[ -x /usr/bin/time ]] || apt_install /usr/bin/time time
command -v python3 >/dev/null || apt_install python3 python3

# ---- the corpus ----------------------------------------------------------------------------------------------
if [[ -n ${BENCH_CORPUS:-} ]]; then
  [[ -d $BENCH_CORPUS ]] || { echo "BENCH_CORPUS is not a directory: $BENCH_CORPUS"; exit 2; }
  corpus=$bench/corpus-$(basename "$BENCH_CORPUS")
  label="copy of $BENCH_CORPUS"
  # A fresh copy each run, so an earlier run's interrupted 1% change cannot linger.
  rm -rf "$corpus"; cp -a --reflink=auto "$BENCH_CORPUS" "$corpus"
else
  case $shape in small | large | duplicates | mixed) ;; *) echo "BENCH_SHAPE must be small, large, duplicates or mixed, not '$shape'"; exit 2 ;; esac
  corpus=$bench/corpus-$shape-x$scale
  label="generated, shape $shape, scale $scale"
  if [[ ! -f $corpus.done ]]; then
    rm -rf "$corpus"
    python3 - "$corpus" "$shape" "$scale" <<'PY'
import os, random, sys
root, shape, scale = sys.argv[1], sys.argv[2], float(sys.argv[3])
rng = random.Random(20261202)
MiB = 1 << 20
words = [w.encode() for w in (
    "backup restore snapshot chunk pack index tree blob key lock repository prune check forget retention "
    "config error warning info debug request response latency bytes files directory user host time status").split()]
lines = [b" ".join(rng.choice(words) for _ in range(rng.randint(3, 14))) + b"\n" for _ in range(4096)]
low = bytes(rng.randrange(16) for _ in range(256))  # maps every byte to one of 16 values: about 2x compressible

def text(n):
    out = bytearray()
    while len(out) < n:
        stamp = b"2026-12-02T%02d:%02d:%02d " % (rng.randrange(24), rng.randrange(60), rng.randrange(60))
        out += b"".join(stamp + l for l in rng.choices(lines, k=2048))
    return bytes(out[:n])

def lowentropy(n): return rng.randbytes(n).translate(low)

def mixed(n):
    out = bytearray()
    while len(out) < n:
        k = rng.randint(1, 4) * MiB
        out += rng.randbytes(k) if rng.random() < 0.5 else text(k)
    return bytes(out[:n])

def write(rel, data):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f: f.write(data)

def small(n, prefix):
    for i in range(n):
        size = int(rng.lognormvariate(8, 1.0)) % 16384 + 200
        data = text(size) if i % 3 == 0 else rng.randbytes(size)
        write(f"{prefix}/d{i % 100:03d}/s{(i // 100) % 2}/f{i}.dat", data)

def large(n, size, prefix):
    makers = [rng.randbytes, text, lowentropy, mixed]
    for i in range(n):
        write(f"{prefix}/large-{i}.bin", makers[i % len(makers)](size))

def duplicates(n, lo, hi, copies, prefix):
    for i in range(n):
        size = rng.randint(lo, hi)
        data = [rng.randbytes, text, lowentropy][i % 3](size)
        write(f"{prefix}/orig/file-{i}.bin", data)
        for c in range(1, copies):
            if c == copies - 1:  # a copy shifted by a few bytes: content-defined chunking still finds most of it
                write(f"{prefix}/shifted/file-{i}.bin", rng.randbytes(rng.randint(1, 99)) + data)
            else:
                write(f"{prefix}/copy-{c}/file-{i}-copy.bin", data)

def tree(n, prefix):
    for i in range(n):
        write(f"{prefix}/src/m{i % 40:02d}/unit{i}.txt", text(rng.randint(2000, 40000)))

s = lambda n: max(1, int(n * scale))
if shape == "small":
    small(s(20000), "small")
elif shape == "large":
    large(4, s(64 * MiB), "large")
elif shape == "duplicates":
    duplicates(s(24), 1 * MiB, 4 * MiB, 4, "dup")
else:
    small(s(5000), "small")
    large(2, s(32 * MiB), "large")
    duplicates(s(12), 1 * MiB, 4 * MiB, 3, "dup")
    tree(s(1500), "tree")
PY
    touch "$corpus.done"
  fi
fi
corpus_bytes=$(du -sb "$corpus" | cut -f1)
echo "corpus: $corpus ($label; $((corpus_bytes / 1048576)) MiB, $(find "$corpus" -type f | wc -l) files)"
[[ ${BENCH_GENERATE_ONLY:-} == 1 ]] && exit 0  # other scripts (parallel-efficiency.sh) reuse the corpus and stop here

# ---- the CLI under test ----------------------------------------------------------------------------------------
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/Directory.Build.props" | head -1)
cli=${BACKUP_CLI:-}
if [[ -z $cli ]]; then
  echo "publishing src/Backup.Cli (native build) into $bench/cli"
  (cd "$root" && dotnet publish src/Backup.Cli -c Release -o "$bench/cli" --nologo -v q >/dev/null)
  cli=$bench/cli/backup
fi
[[ -x $cli ]] || { echo "no backup CLI at $cli (BACKUP_CLI names a built one)"; exit 1; }
installed=
case ${BENCH_INSTALLED:-} in
  "" | 0) ;;
  1)
    echo "packing src/Backup.Cli into $bench/packages and installing it into $bench/tool"
    rm -rf "$bench/packages" "$bench/tool"
    (cd "$root" && dotnet pack src/Backup.Cli -c Release -o "$bench/packages" --nologo -v q >/dev/null)
    dotnet tool install Backup.Cli --tool-path "$bench/tool" --add-source "$bench/packages" --version "$version" >/dev/null
    installed=$bench/tool/backup ;;
  *) installed=$BENCH_INSTALLED ;;
esac
[[ -z $installed || -x $installed ]] || { echo "no installed tool at $installed"; exit 1; }
tools=("${refs[@]}" backup); [[ -n $installed ]] && tools+=(installed)

# RAM restores need room for one restored corpus (plus a margin).
if [[ -n $ram ]] && mkdir -p "$ram" 2>/dev/null && (($(df -B1 --output=avail "$ram" | tail -1) > corpus_bytes * 3 / 2)); then
  ram=$(cd "$ram" && pwd)
else
  echo "no RAM-backed restore: ${ram:-BENCH_RAM_DIR empty} is missing or has too little room"; ram=
fi
echo "disk: $bench ($(df --output=fstype,source "$bench" | tail -1 | xargs)); RAM: ${ram:-none}${ram:+ ($(df --output=fstype "$ram" | tail -1))}"
echo "tools: $(for t in "${tools[@]}"; do case $t in
  restic) restic version | cut -d' ' -f1-2 ;; borg) borg --version ;; backup) echo "backup ($cli)" ;; installed) echo "installed ($installed)" ;; esac; done | paste -sd, -)"

# ---- measuring -------------------------------------------------------------------------------------------------
# timed CMD...: prints "wall_s rss_kb" of CMD; stops the run when CMD fails
timed() {
  /usr/bin/time -f "%e %M" -o "$bench/t" "$@" >/dev/null 2>"$bench/err" || { echo "FAILED: $*" >&2; cat "$bench/err" >&2; exit 1; }
  cat "$bench/t"
}

# change ROUND: rewrites 1% of the corpus's bytes (whole small files, or a stretch in the middle of a large one,
# picked in an order fixed by the path's hash), keeping the originals in $bench/saved; unchange puts them back.
change() {
  rm -rf "$bench/saved"; mkdir -p "$bench/saved"
  python3 - "$corpus" "$bench/saved" "$1" <<'PY'
import hashlib, os, random, shutil, sys
root, saved, rnd = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = []
for d, _, names in os.walk(root):
    for n in names:
        p = os.path.join(d, n)
        if os.path.isfile(p) and not os.path.islink(p): files.append((hashlib.sha256(p.encode()).digest(), p, os.path.getsize(p)))
files.sort()
budget = max(1, sum(f[2] for f in files) // 100)
rng = random.Random(rnd)
with open(os.path.join(saved, "manifest"), "w") as m:
    for i, (_, p, size) in enumerate(files):
        if budget <= 0: break
        if size == 0: continue
        n = min(size, budget)
        shutil.copy2(p, os.path.join(saved, str(i)))
        m.write(f"{i}\t{p}\n")
        with open(p, "r+b") as f:
            f.seek((size - n) // 2)
            f.write(rng.randbytes(n))
        budget -= n
PY
}
unchange() {
  while IFS=$'\t' read -r i path; do cp -p "$bench/saved/$i" "$path"; done <"$bench/saved/manifest"
  rm -f "$bench/saved/manifest"
}
# Restored trees are set aside, not deleted, until the run ends. On an ext4 without a journal (this VM's root file
# system) a new inode skips every inode freed in the last 60 s (360 s while its table block is dirty), reading the
# inode table for each, so a restore of 20,000 files right after another tool's tree of 20,000 was deleted spent
# 15 s of system time where it otherwise takes under 2 s: the restore measured the previous step's deletion.
# A run stopped half-way leaves no changed corpus behind.
trap '[[ -f $bench/saved/manifest ]] && unchange; rm -rf "$bench/set-aside"' EXIT

# restore_into TOOL REPO DIR: prints "wall_s rss_kb" of restoring the latest snapshot into DIR, checked by diff
restore_into() {
  local tool=$1 repo=$2 out=$3 r
  rm -rf "$out"; mkdir -p "$out"
  # Every repository read once first, so each restore starts from the page cache: ours writes its packs past the
  # cache (direct I/O), restic and borg through it, and a restore must not be measured on that difference.
  find "$repo" -type f -print0 | xargs -0 cat >/dev/null
  case $tool in
    restic) r=$(timed restic -q -r "$repo" --cache-dir "$bench/restic-cache" restore latest --target "$out") ;;
    borg) r=$(cd "$out" && timed borg extract "$repo::a3") ;;
    *) r=$(timed "${exe[$tool]}" restore --repo "$repo" latest --target "$out") ;;
  esac
  diff -r --no-dereference "$corpus" "$out$corpus" >/dev/null || { echo "RESTORE DIFFERS for $tool in $out" >&2; exit 1; }
  if [[ $out == "$bench"/* ]]; then mv "$out" "$(mktemp -d "$bench/set-aside/XXXXXX")/"; else rm -rf "$out"; fi
  echo "$r"
}

declare -A exe=([backup]=$cli [installed]=$installed)
# run_tool TOOL ROUND -> "first_s first_rss unchanged_s changed_s restore_disk_s restore_ram_s restore_rss repo growth"
run_tool() {
  local tool=$1 round=$2 repo=$bench/repo-$1 f s c rd rr=- rrss size1 size2
  rm -rf "$repo" "$bench/restic-cache" "$BORG_CACHE_DIR" "$BORG_CONFIG_DIR" "$BORG_BASE_DIR"
  case $tool in
    restic)
      restic init -q -r "$repo" >/dev/null
      backup_cmd() { timed restic -q -r "$repo" --cache-dir "$bench/restic-cache" backup "$corpus"; } ;;
    borg)
      borg init -e repokey-blake2 "$repo" >/dev/null 2>&1
      backup_cmd() { timed borg create --compression zstd,3 "$repo::a$1" "$corpus"; } ;;
    *)
      "${exe[$tool]}" init --repo "$repo" >/dev/null
      backup_cmd() { timed "${exe[$tool]}" create --repo "$repo" "$corpus"; } ;;
  esac
  f=$(backup_cmd 1); size1=$(du -sb "$repo" | cut -f1)
  s=$(backup_cmd 2)
  change "$round"
  c=$(backup_cmd 3); size2=$(du -sb "$repo" | cut -f1)
  rd=$(restore_into "$tool" "$repo" "$bench/restore-$tool")
  rrss=${rd#* }
  if [[ -n $ram ]]; then rr=$(restore_into "$tool" "$repo" "$ram/restore-$tool"); rrss=${rr#* }; rr=${rr% *}; fi
  unchange
  rm -rf "$repo"
  echo "${f% *} ${f#* } ${s% *} ${c% *} ${rd% *} $rr $rrss $size1 $((size2 - size1))"
}

tar cf - "$corpus" 2>/dev/null | cat >/dev/null  # warm the page cache for every tool alike
declare -A rows
for ((i = 1; i <= rounds; i++)); do
  echo "round $i of $rounds"
  for t in "${tools[@]}"; do rows[$t]+="$(run_tool "$t" "$i")"$'\n'; done
done

# ---- the figures -----------------------------------------------------------------------------------------------
median() { awk 'NF && $1 != "-"' | sort -g | awk '{a[NR]=$1} END{if (!NR) print "-"; else print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
declare -A med
for t in "${tools[@]}"; do
  for k in 1 2 3 4 5 6 7 8 9; do med[$t,$k]=$(printf '%s' "${rows[$t]}" | awk -v k=$k 'NF{print $k}' | median); done
done
fmt() { [[ $2 == - ]] && printf "%*s" "$1" - || LC_ALL=C printf "%*.*f" "$1" "$3" "$(awk -v v="$2" -v d="$4" 'BEGIN{print v/d}')"; }
echo
echo "medians of $rounds round(s); seconds are wall time, MB are peak RSS (MiB) or repository bytes (MiB)"
printf "%-10s %8s %9s %11s %10s %15s %14s %11s %8s %10s\n" tool first_s first_MB unchanged_s changed_s \
  restore_disk_s restore_ram_s restore_MB repo_MB growth_MB
for t in "${tools[@]}"; do
  printf "%-10s %s %s %s %s %s %s %s %s %s\n" "$t" "$(fmt 8 "${med[$t,1]}" 2 1)" "$(fmt 9 "${med[$t,2]}" 0 1024)" \
    "$(fmt 11 "${med[$t,3]}" 2 1)" "$(fmt 10 "${med[$t,4]}" 2 1)" "$(fmt 15 "${med[$t,5]}" 2 1)" "$(fmt 14 "${med[$t,6]}" 2 1)" \
    "$(fmt 11 "${med[$t,7]}" 0 1024)" "$(fmt 8 "${med[$t,8]}" 1 1048576)" "$(fmt 10 "${med[$t,9]}" 1 1048576)"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "-" || b == "-" || b == 0) printf "   -"; else printf "%4.2f", a/b }'; }
echo
echo "ratios (lower is better): first, first RSS, unchanged, 1% changed, restore disk, restore RAM, restore RSS, repository, growth"
for ours in backup installed; do
  [[ $ours == installed && -z $installed ]] && continue
  for ref in "${refs[@]}"; do
    line=$(printf "%-19s" "$ours/$ref")
    for k in 1 2 3 4 5 6 7 8 9; do line+="  $(ratio "${med[$ours,$k]}" "${med[$ref,$k]}")"; done
    echo "$line"
  done
done
rm -rf "$bench/saved" "$bench/t" "$bench/err"; [[ -n $ram ]] && rmdir "$ram" 2>/dev/null || true
