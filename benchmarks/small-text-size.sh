#!/usr/bin/env bash
# Issue 21: repository size of many small text files, ours against restic's (benchmarks/README.md, "Repository size
# of 50,000 small text files"). Generates the corpus from a fixed seed (no downloads), backs it up once with each
# tool into a fresh local repository, and prints each repository's bytes (objects only) and the user CPU of the backup.
# Usage: bash benchmarks/small-text-size.sh [FILES] [ROUNDS]   (from the project's root; defaults 50000 and 1)
# Env:   BENCH_DIR (scratch, default /tmp/backup-small-text), BACKUP_CLI (a built `backup`; default: published here)
set -euo pipefail
files=${1:-50000}
rounds=${2:-1}
bench=${BENCH_DIR:-/tmp/backup-small-text}
mkdir -p "$bench"
export RESTIC_PASSWORD=bench-pass BACKUP_PASSWORD=bench-pass
command -v restic >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic >/dev/null; }

corpus=$bench/corpus-$files
if [[ ! -d $corpus ]]; then
  # Words of a 5,000-word Zipf-like vocabulary in lines, 100 B to 16 KiB a file (mean about 1.9 KB): text that
  # compresses about as well as prose or source code.
  python3 - "$corpus" "$files" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
syll = ["ba","ke","ri","to","mu","sa","ne","lo","pi","du","ga","ve","xo","ch","th","st","an","er","in","on"]
vocab = ["".join(rng.choice(syll) for _ in range(rng.randint(1,4))) for _ in range(5000)]
weights = [1.0/(i+1) for i in range(len(vocab))]
for i in range(n):
    d = os.path.join(root, f"d{i % 100:03d}", f"s{(i // 100) % 10}")
    os.makedirs(d, exist_ok=True)
    size = int(rng.lognormvariate(7.2, 0.8)) % 16384 + 100
    words = rng.choices(vocab, weights, k=size//5+1)
    lines, line = [], []
    for w in words:
        line.append(w)
        if rng.random() < 0.1: lines.append(" ".join(line)); line = []
    data = ("\n".join(lines + [" ".join(line)])).encode()[:size]
    with open(os.path.join(d, f"f{i}.txt"), "wb") as f:
        f.write(data)
PY
fi
echo "corpus: $corpus ($(find "$corpus" -type f -printf '%s\n' | awk '{s+=$1} END{printf "%.1f MB", s/1e6}'), $(find "$corpus" -type f | wc -l) files)"

cli=${BACKUP_CLI:-}
if [[ -z $cli ]]; then
  dotnet publish src/Backup.Cli -c Release -o "$bench/cli" --nologo -v q >/dev/null
  cli=$bench/cli/backup
fi

bytes() { find "$1" -type f -printf '%s\n' | awk '{s+=$1} END{print s}'; }
printf "%-6s %5s %12s %10s\n" tool round repo_bytes user_s
for ((i = 1; i <= rounds; i++)); do
  for tool in restic backup; do
    repo=$bench/repo-$tool; rm -rf "$repo"
    case $tool in
      restic) restic init -q -r "$repo" >/dev/null; /usr/bin/time -f "%U" -o "$bench/t" restic -q -r "$repo" backup "$corpus" >/dev/null ;;
      backup) "$cli" init --repo "$repo" >/dev/null; /usr/bin/time -f "%U" -o "$bench/t" "$cli" create --repo "$repo" "$corpus" >/dev/null ;;
    esac
    printf "%-6s %5d %12d %10s\n" "$tool" "$i" "$(bytes "$repo")" "$(cat "$bench/t")"
  done
done
echo "ours by part: BACKUP_PASSWORD=$BACKUP_PASSWORD dotnet run -c Release --project benchmarks/Backup.Benchmarks -- size-breakdown $bench/repo-backup"
