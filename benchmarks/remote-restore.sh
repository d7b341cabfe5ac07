#!/usr/bin/env bash
# Issue #21 figures: a restore of a few thousand small files from the local S3-compatible server (s3rver) and the Azure
# emulator (Azurite) against the same restore from a local directory, with the requests each made.
# Usage: benchmarks/remote-restore.sh [ROUNDS]      (run from the repository's root; default 3 rounds, median shown)
# Env:   FILES (generated files, default 8000: 1-30 KB each, half random and half zeros, 40 to a directory),
#        BENCH_DIR (scratch, wiped at start; default /dev/shm/remote-restore-bench: corpus, local repository and
#        restores in RAM, since a restore's time on disk swings with the writeback; the servers' stores live there too),
#        BACKUP_CLI (default: dotnet publish src/Backup.Cli -c Release), BACKUP_CLI_BEFORE (optional: a second CLI,
#        e.g. published from an older commit, measured the same way for a before/after table),
#        TOOLS (node_modules with s3rver and azurite; default ./.tools, else /work/main/.tools).
# Requests: "http" is what the counting proxy (benchmarks/tools/count-proxy.js) in front of each server received
# during the restore (listing, lock, index, snapshot and pack reads alike); "calls" is the CLI's own
# BACKUP_TRACE_REQUESTS count of target calls (for local, the only count). Latency injected per request is measured
# by `dotnet run -c Release --project benchmarks/Backup.Benchmarks -- remote-restore` instead.
set -euo pipefail
rounds=${1:-3}
root=$(pwd)
bench=${BENCH_DIR:-/dev/shm/remote-restore-bench}
files=${FILES:-8000}
tools=${TOOLS:-}
[[ -z $tools && -x .tools/node_modules/.bin/s3rver ]] && tools=$root/.tools
[[ -z $tools ]] && tools=/work/main/.tools
[[ -x $tools/node_modules/.bin/s3rver && -x $tools/node_modules/.bin/azurite-blob ]] || { echo "s3rver/azurite missing: run scripts/install-remote-test-servers.sh"; exit 1; }

rm -rf "$bench"; mkdir -p "$bench"
export BACKUP_PASSWORD=bench-pass

cli=${BACKUP_CLI:-}
if [[ -z $cli ]]; then
  dotnet publish src/Backup.Cli -c Release -o "$bench/cli" --nologo -v q -m:1 >/dev/null
  cli=$bench/cli/backup
fi
clis=("after=$cli")
[[ -n ${BACKUP_CLI_BEFORE:-} ]] && clis=("before=$BACKUP_CLI_BEFORE" "${clis[@]}")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_port() { for _ in $(seq 1 600); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened"; exit 1; }

# --- s3rver and azurite, each behind a counting proxy (as benchmarks/targets-compare.sh starts them) ---
s3_port=$(free_port) s3_proxy=$(free_port) az_port=$(free_port) az_proxy=$(free_port)
mkdir -p "$bench/s3" "$bench/azure"
NODE_OPTIONS=--openssl-legacy-provider "$tools/node_modules/.bin/s3rver" -d "$bench/s3" -a 127.0.0.1 -p "$s3_port" --silent \
  --configure-bucket bench >"$bench/s3rver.log" 2>&1 &
pids+=($!)
"$tools/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$az_port" --location "$bench/azure" --skipApiVersionCheck --loose --silent >"$bench/azurite.log" 2>&1 &
pids+=($!)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$bench/tls.key" -out "$bench/tls.crt" 2>/dev/null
node benchmarks/tools/count-proxy.js "$s3_proxy" "$s3_port" "$bench/tls.crt" "$bench/tls.key" & pids+=($!)
node benchmarks/tools/count-proxy.js "$az_proxy" "$az_port" & pids+=($!)
for p in "$s3_port" "$s3_proxy" "$az_port" "$az_proxy"; do wait_port "$p"; done
az_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
node benchmarks/tools/azure-create-container.js "http://127.0.0.1:$az_port/devstoreaccount1" devstoreaccount1 "$az_key" bench
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER BACKUP_S3_ENDPOINT=https://127.0.0.1:$s3_proxy SSL_CERT_FILE=$bench/tls.crt BACKUP_S3_PATH_STYLE=true
export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$az_key;BlobEndpoint=http://127.0.0.1:$az_proxy/devstoreaccount1;"
http_requests() { curl -sk "$2://127.0.0.1:$1/__counts?reset=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
server_requests() { case $1 in s3) http_requests "$s3_proxy" https ;; azure) http_requests "$az_proxy" http ;; *) echo - ;; esac; }

# --- corpus: many small files, as in the issue (7,992 files, 110 MB) ---
corpus=$bench/corpus
python3 - "$corpus" "$files" <<'EOF'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2]); r = random.Random(21)
for i in range(n):
    d = os.path.join(root, "d%04d" % (i // 40)); os.makedirs(d, exist_ok=True)
    size = r.randint(1000, 30000); half = size // 2
    with open(os.path.join(d, "f%d" % i), "wb") as f: f.write(r.randbytes(half) + bytes(size - half))
EOF
echo "corpus: $files files, $(du -sb --apparent-size "$corpus" | cut -f1 | awk '{printf "%.0f", $1/1e6}') MB; s3rver $s3_port (proxy $s3_proxy), azurite $az_port (proxy $az_proxy); median of $rounds"

timed() { /usr/bin/time -f "%e" -o "$bench/t" "$@" >"$bench/out" 2>"$bench/err" || { { echo "FAILED: $*"; tail -n 5 "$bench/out" "$bench/err"; } >&2; return 1; }; cat "$bench/t"; }
our_calls() { grep -oE 'requests to .*: [0-9]+ calls' "$bench/err" | awk '{s+=$(NF-1)} END{print s+0}'; }
our_gets() { grep -oE 'get [0-9]+' "$bench/err" | awk '{s+=$2} END{print s+0}'; }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

printf '%-7s %-6s %8s %8s %8s %8s %7s\n' cli target restore_s x_local http calls gets
for entry in "${clis[@]}"; do
  label=${entry%%=*} bin=${entry#*=}
  local_median=
  for target in local s3 azure; do
    case $target in
      local) repo=$bench/local-$label ;;
      s3) repo=s3://bench/$label ;;
      azure) repo=azure://bench/$label ;;
    esac
    "$bin" init --repo "$repo" >/dev/null
    "$bin" create --repo "$repo" -q "$corpus" >/dev/null
    times=() http=- calls=- gets=-
    for _ in $(seq 1 "$rounds"); do
      out=$bench/restore; rm -rf "$out"; mkdir -p "$out"
      server_requests "$target" >/dev/null
      times+=("$(BACKUP_TRACE_REQUESTS=1 timed "$bin" restore --repo "$repo" -q latest --target "$out")")
      http=$(server_requests "$target") calls=$(our_calls) gets=$(our_gets)
    done
    diff -r "$corpus" "$out/${corpus#/}" >/dev/null || { echo "$label $target: the restore differs from the corpus"; exit 1; }
    t=$(printf '%s\n' "${times[@]}" | median)
    [[ $target == local ]] && local_median=$t
    printf '%-7s %-6s %8s %8s %8s %8s %7s\n' "$label" "$target" "$t" "$(awk -v a="$t" -v b="$local_median" 'BEGIN{printf "%.2f", a/b}')" "$http" "$calls" "$gets"
  done
done
