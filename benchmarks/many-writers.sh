#!/usr/bin/env bash
# Issue #21 "many writers": WRITERS concurrent `backup create` processes, each with its own --host and its own
# generated tree, into ONE repository on the S3-compatible server (s3rver); then a prune started while a second
# round of writers runs (the lock behaviour), a `forget --keep-last 1 --prune` and `check --read-data`, which must be
# clean; every host's newest snapshot is restored and compared with its tree.
# Usage: benchmarks/many-writers.sh [ROUNDS]     (run from the repository's root; default 3 rounds, median shown)
# Env:   WRITERS (default 8), WRITER_MB (each writer's tree, default 24 MiB: ~550 small files of 1-48 KiB, half text and
#        half random, and three files of 1-6 MiB; every writer's bytes are its own, so nothing deduplicates across
#        hosts), BENCH_DIR (scratch, wiped at start; default /dev/shm/many-writers: trees, the server's store, restores),
#        BACKUP_CLI (default: dotnet publish src/Backup.Cli -c Release into BENCH_DIR/cli),
#        TOOLS (node_modules with s3rver; default ./.tools, else /work/main/.tools).
#        NICE (e.g. -20, as root): run the whole benchmark, s3rver included, in a session of its own whose scheduler
#        autogroup gets that nice value. Linux shares the CPU fairly between sessions (autogroups), so on a machine
#        busy with other sessions one writer and eight writers would otherwise get the same share of the cores.
# Per round: one writer alone (host w0's tree) into a fresh repository, then all WRITERS at once into another fresh
# one; aggregate MB/s = all trees' bytes / the wall time from the first start to the last end. The two are
# interleaved round by round so the shared machine's load hits both alike; the load average is printed.
set -euo pipefail
shopt -s inherit_errexit
if [[ -n ${NICE:-} && -z ${MANY_WRITERS_SESSION:-} ]]; then
  MANY_WRITERS_SESSION=1 exec setsid -w bash "$0" "$@"
fi
if [[ -n ${NICE:-} ]]; then
  { echo "$NICE" >/proc/self/autogroup && renice -n "$NICE" $$ >/dev/null; } 2>/dev/null \
    || echo "NICE: could not set the priority (needs root and autogroups); measuring without it"
fi
rounds=${1:-3}
writers=${WRITERS:-8}
writer_mb=${WRITER_MB:-24}
root=$(pwd)
bench=${BENCH_DIR:-/dev/shm/many-writers}
tools=${TOOLS:-}
[[ -z $tools && -x .tools/node_modules/.bin/s3rver ]] && tools=$root/.tools
[[ -z $tools ]] && tools=/work/main/.tools
[[ -x $tools/node_modules/.bin/s3rver ]] || { echo "s3rver missing: run scripts/install-remote-test-servers.sh"; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time missing (Debian package 'time')"; exit 1; }

rm -rf "$bench"; mkdir -p "$bench"
export BACKUP_PASSWORD=bench-pass DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cli=${BACKUP_CLI:-}
if [[ -z $cli ]]; then
  dotnet publish src/Backup.Cli -c Release -o "$bench/cli" --nologo -v q -m:1 >/dev/null
  cli=$bench/cli/backup
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
s3_port=$(free_port)
mkdir -p "$bench/s3"
NODE_OPTIONS=--openssl-legacy-provider "$tools/node_modules/.bin/s3rver" -d "$bench/s3" -a 127.0.0.1 -p "$s3_port" --silent \
  --configure-bucket bench >"$bench/s3rver.log" 2>&1 &
pids+=($!)
s3_pid=$!
for _ in $(seq 1 600); do (exec 3<>/dev/tcp/127.0.0.1/"$s3_port") 2>/dev/null && break; sleep 0.1; done
# Plain http is accepted for a server on this machine (docs/cli.md, "Repository locations").
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER BACKUP_S3_ENDPOINT=http://127.0.0.1:$s3_port BACKUP_S3_PATH_STYLE=true

# --- one tree per writer, seeded by its number ---
python3 - "$bench/src" "$writers" "$writer_mb" <<'EOF'
import os, random, sys
root, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
words = b"backup restore snapshot chunk pack index tree blob lock repository prune check host writer".split()
for w in range(n):
    r = random.Random(2100 + w); budget = mb << 20
    def text(k):
        out = bytearray()
        while len(out) < k: out += b" ".join(r.choice(words) for _ in range(12)) + b" %d\n" % r.randrange(1 << 30)
        return bytes(out[:k])
    def put(rel, data):
        p = os.path.join(root, "w%d" % w, rel); os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f: f.write(data)
    for i in range(3):
        k = r.randint(1, max(1, mb // 4)) << 20; budget -= k; put("big/%d.bin" % i, r.randbytes(k) if i % 2 else text(k))
    i = 0
    while budget > 0:
        k = r.randint(1024, 48 << 10); budget -= k
        put("d%02d/f%d" % (i % 20, i), text(k) if i % 2 else r.randbytes(k)); i += 1
EOF
tree_bytes() { du -sb --apparent-size "$bench/src/$1" | cut -f1; }
total=0; for w in $(seq 0 $((writers - 1))); do total=$((total + $(tree_bytes "w$w"))); done
one=$(tree_bytes w0)
echo "s3rver on 127.0.0.1:$s3_port; $writers trees, $((total / 1048576)) MiB in all (w0: $((one / 1048576)) MiB); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
# run_writers REPO LOGDIR: starts every writer at once, waits for all; prints the wall time; fails on any failure.
run_writers() {
  local repo=$1 logs=$2 start end failed=0 ps=()
  mkdir -p "$logs"
  start=$(now)
  for w in $(seq 0 $((writers - 1))); do
    ( s=$(now); /usr/bin/time -f "%U %S" -o "$logs/w$w.cpu" "$cli" create --repo "$repo" -q --host "host$w" "$bench/src/w$w" >"$logs/w$w.out" 2>"$logs/w$w.err"; rc=$?
      echo "$s $(now) $rc" >"$logs/w$w.t"; exit $rc ) &
    ps+=($!)
  done
  for p in "${ps[@]}"; do wait "$p" || failed=$((failed + 1)); done
  end=$(now)
  if ((failed > 0)); then echo "$failed writer(s) failed:" >&2; tail -n 3 "$logs"/*.err >&2; return 1; fi
  awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}'
}
# overlap LOGDIR: the share of the writers' summed run time during which at least two of them ran at once
overlap() {
  cat "$1"/w*.t | python3 -c '
import sys
iv = [tuple(map(float, l.split()[:2])) for l in sys.stdin]
ev = sorted([(s, 1) for s, e in iv] + [(e, -1) for s, e in iv]); run = 0; both = 0; last = None
for t, d in ev:
    if last is not None and run >= 2: both += t - last
    run += d; last = t
span = max(e for s, e in iv) - min(s for s, e in iv)
print("%.0f%% of the span with >=2 writers running; writers took %.1f-%.1f s" % (100 * both / span, min(e - s for s, e in iv), max(e - s for s, e in iv)))'
}

# s3rver's CPU seconds so far (user + system, from /proc)
s3_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$s3_pid/stat"; }
singles=() manys=()
for r in $(seq 1 "$rounds"); do
  "$cli" init --repo "s3://bench/single-$r" >/dev/null
  c=$(s3_cpu); s=$(now)
  /usr/bin/time -f "%U %S" -o "$bench/single.cpu" "$cli" create --repo "s3://bench/single-$r" -q --host host0 "$bench/src/w0" >/dev/null 2>"$bench/single.err"
  single_cpu="one writer $(awk '{printf "%.2f", $1+$2}' "$bench/single.cpu") s + s3rver $(awk -v a="$c" -v b="$(s3_cpu)" 'BEGIN{printf "%.2f", b-a}') s"
  singles+=("$(awk -v a="$s" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}')")
  "$cli" init --repo "s3://bench/many-$r" >/dev/null
  c=$(s3_cpu)
  manys+=("$(run_writers "s3://bench/many-$r" "$bench/logs-$r")")
  many_cpu="$writers writers $(cat "$bench/logs-$r"/w*.cpu | awk '{s+=$1+$2} END{printf "%.2f", s}') s + s3rver $(awk -v a="$c" -v b="$(s3_cpu)" 'BEGIN{printf "%.2f", b-a}') s"
  echo "round $r: one writer ${singles[-1]} s ($(awk -v b="$one" -v t="${singles[-1]}" 'BEGIN{printf "%.1f", b/1048576/t}') MiB/s); $writers writers ${manys[-1]} s ($(awk -v b="$total" -v t="${manys[-1]}" 'BEGIN{printf "%.1f", b/1048576/t}') MiB/s aggregate); $(overlap "$bench/logs-$r"); load $(cut -d' ' -f1 /proc/loadavg)"
  echo "  CPU time: $single_cpu; $many_cpu"
done
s1=$(printf '%s\n' "${singles[@]}" | median) sn=$(printf '%s\n' "${manys[@]}" | median)
awk -v b1="$one" -v t1="$s1" -v bn="$total" -v tn="$sn" -v n="$writers" 'BEGIN{
  printf "median: one writer %.1f MiB/s (%.2f s), %d writers %.1f MiB/s aggregate (%.2f s): %.2fx one writer\n", b1/1048576/t1, t1, n, bn/1048576/tn, tn, (bn/tn)/(b1/t1) }'

# --- lock behaviour: prune while a second round of writers runs (each tree changed a little, so each writes) ---
repo=s3://bench/many-$rounds
# the lock objects in s3rver's store (one file per object under locks/; none, and no folder, when no lock is held)
count_locks() { { find "$bench/s3/bench/many-$rounds/locks" -type f -name '*._S3rver_object' 2>/dev/null || true; } | wc -l; }
for w in $(seq 0 $((writers - 1))); do head -c 200000 /dev/urandom >"$bench/src/w$w/changed.bin"; done
run_writers "$repo" "$bench/logs-second" >"$bench/second.t" &
writers_pid=$!
# Prune once every writer's lock is up (counted in s3rver's store: one object per lock under locks/), or after 30 s.
for _ in $(seq 1 300); do
  (($(count_locks) >= writers)) && break
  sleep 0.1
done
locks_seen=$(count_locks)
set +e
prune_start=$(now)
"$cli" prune --repo "$repo" >"$bench/prune-during.out" 2>"$bench/prune-during.err"
prune_rc=$? prune_end=$(now)
set -e
wait "$writers_pid" || { echo "writers failed while a prune was tried"; exit 1; }
last_writer=$(cat "$bench"/logs-second/w*.t | awk '{ if ($2 > m) m = $2 } END { printf "%.3f", m }')
echo "prune started while $writers writers ran ($locks_seen of their locks up): exit $prune_rc after $(awk -v a="$prune_start" -v b="$prune_end" 'BEGIN{printf "%.2f", b-a}') s; the writers took $(cat "$bench/second.t") s in all and every one succeeded"
if ((prune_rc == 0)); then
  # The prune's own duration (printed) tells when it held its lock: after the last writer ended, or not.
  held=$(sed -n 's/.*duration: *\([0-9.]*\)s.*/\1/p' "$bench/prune-during.out")
  awk -v e="$prune_end" -v d="${held:-0}" -v w="$last_writer" 'BEGIN{ if (e - d < w) { print "  LOCK VIOLATION: the prune worked from " e-d " while a writer ran until " w; exit 1 } else printf "  (no overlap: the prune took its lock %.2f s after the last writer ended)\n", e - d - w }'
else
  sed 's/^/  prune: /' "$bench/prune-during.err" | head -n 3
fi

# --- and the other way round: a writer starting while a prune holds its exclusive lock ---
"$cli" prune --repo "$repo" >"$bench/prune-first.out" 2>&1 &
prune_pid=$!
for _ in $(seq 1 300); do
  (($(count_locks) >= 1)) && break
  sleep 0.05
done
set +e
"$cli" create --repo "$repo" -q --host late "$bench/src/w0" >"$bench/late.out" 2>"$bench/late.err"
late_rc=$?
set -e
wait "$prune_pid" || { echo "the prune failed:"; cat "$bench/prune-first.out"; exit 1; }
echo "a writer started while a prune ran: exit $late_rc; $(head -c 400 "$bench/late.err")"
late=0; ((late_rc == 0)) && late=1

# --- forget + prune, check --read-data, one snapshot per host left and each host's tree restored exactly ---
snaps=$("$cli" snapshots --repo "$repo" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[[ $snaps -eq $((2 * writers + late)) ]] || { echo "expected $((2 * writers + late)) snapshots, found $snaps"; exit 1; }
/usr/bin/time -f "%e s, %M KB peak" -o "$bench/forget.t" "$cli" forget --repo "$repo" --keep-last 1 --prune >"$bench/forget.out" 2>&1 \
  || { cat "$bench/forget.out"; exit 1; }
echo "forget --keep-last 1 --prune ($((2 * writers + late)) snapshots, $((writers + late)) hosts): $(cat "$bench/forget.t"); $(grep -iE 'pack|bytes' "$bench/forget.out" | tail -n 1)"
/usr/bin/time -f "%e s, %M KB peak" -o "$bench/check.t" "$cli" check --repo "$repo" --read-data >"$bench/check.out" 2>&1 \
  || { echo "check --read-data FAILED:"; cat "$bench/check.out"; exit 1; }
echo "check --read-data: clean ($(cat "$bench/check.t")): $(tail -n 1 "$bench/check.out")"
snaps=$("$cli" snapshots --repo "$repo" --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(len(s), len({x["hostname"] for x in s}))')
[[ $snaps == "$((writers + late)) $((writers + late))" ]] || { echo "after forget: expected one snapshot per host, found (snapshots hosts) $snaps"; exit 1; }
for w in $(seq 0 $((writers - 1))); do
  out=$bench/restore-w$w; rm -rf "$out"
  id=$("$cli" snapshots --repo "$repo" --host "host$w" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
  "$cli" restore --repo "$repo" -q "$id" --target "$out"
  diff -r "$bench/src/w$w" "$out/${bench#/}/src/w$w" >/dev/null || { echo "host$w: the restore differs from its tree"; exit 1; }
done
echo "every host's newest snapshot restores its tree exactly; load average $(cut -d' ' -f1-3 /proc/loadavg)"
