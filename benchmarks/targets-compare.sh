#!/usr/bin/env bash
# Issue #7 figures: backup and restore throughput of one corpus to every target on 127.0.0.1, and the requests per GB
# stored, for this project's `backup` CLI and for restic where restic has the same backend (local, SFTP, S3).
# Usage: benchmarks/targets-compare.sh [ROUNDS]      (run from the repository's root; default 1 round)
# Env:   BENCH_DIR (scratch, wiped at start; default /tmp/backup-targets-bench), BENCH_CORPUS (default: the sdk/ folder of the
#        .NET installation, ~400 MB), BACKUP_CLI (default: dotnet publish src/Backup.Cli -c Release),
#        TOOLS (node_modules with s3rver and azurite; default ./.tools, else /work/main/.tools),
#        TARGETS (default "local sftp s3 azure").
#
# Servers (all on 127.0.0.1, free ports, throwaway keys, as tests/Backup.Providers.Targets.Tests starts them):
#   sshd with Subsystem sftp = OpenSSH's sftp-server logging every request at DEBUG3 to one file per session;
#   s3rver 3.7.1 and azurite-blob 3.37.0, each behind benchmarks/tools/count-proxy.js.
# What counts as one request:
#   S3, Azure: one HTTP request received by the proxy (for both tools; every part of a multipart upload counts).
#   SFTP: one SFTP protocol request (open, read, write, close, stat, rename, ...) as sftp-server logs it with its
#         request id ("request N: ..."), counted once per id per session; the SSH handshake is not counted.
#   local: no server; our CLI's BACKUP_TRACE_REQUESTS=1 call count (CountingTarget) is shown instead.
# Our CLI also prints its own target call counts (CountingTarget) for every target: those are IBackupTarget calls,
# fewer than HTTP requests when a put is a multipart upload.
# MB/s = corpus bytes (10^6) / wall seconds. Requests/GB = requests / (the tool's repository bytes / 10^9), where the
# repository size is the tool's local repository (the same corpus gives the same repository on any target).
# Each backup starts from an empty repository (init is not timed); each restore goes into an empty directory and is
# compared with the corpus (diff -r).
set -euo pipefail
rounds=${1:-1}
root=$(pwd)
bench=${BENCH_DIR:-/tmp/backup-targets-bench}
corpus=${BENCH_CORPUS:-$(dirname "$(readlink -f "$(command -v dotnet)")")/sdk}
targets=${TARGETS:-local sftp s3 azure}
tools=${TOOLS:-}
[[ -z $tools && -x .tools/node_modules/.bin/s3rver ]] && tools=$root/.tools
[[ -z $tools ]] && tools=/work/main/.tools
[[ -x $tools/node_modules/.bin/s3rver && -x $tools/node_modules/.bin/azurite-blob ]] || { echo "s3rver/azurite missing: run scripts/install-remote-test-servers.sh"; exit 1; }
command -v restic >/dev/null || { echo "restic is not installed (apt-get install restic)"; exit 1; }
[[ -x /usr/sbin/sshd ]] || { echo "sshd is not installed: run scripts/install-remote-test-servers.sh"; exit 1; }

rm -rf "$bench"; mkdir -p "$bench"; : >"$bench/rates"
export RESTIC_PASSWORD=bench-pass BACKUP_PASSWORD=bench-pass

cli=${BACKUP_CLI:-}
if [[ -z $cli ]]; then
  dotnet publish src/Backup.Cli -c Release -o "$bench/cli" --nologo -v q -m:1 >/dev/null
  cli=$bench/cli/backup
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened"; exit 1; }

# --- sshd ---
ssh_dir=$bench/sshd; mkdir -p "$ssh_dir/logs" "$ssh_dir/data" /run/sshd
ssh-keygen -q -t ed25519 -N "" -f "$ssh_dir/host_key"; ssh-keygen -q -t ed25519 -N "" -f "$ssh_dir/user_key"
cp "$ssh_dir/user_key.pub" "$ssh_dir/authorized_keys"
ssh_port=$(free_port)
cat >"$ssh_dir/sshd_config" <<EOF
HostKey $ssh_dir/host_key
AuthorizedKeysFile $ssh_dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $ssh_dir/sshd.pid
Subsystem sftp /usr/lib/openssh/sftp-server -e -l DEBUG3 2>>$ssh_dir/logs/session.\$\$.log
MaxSessions 50
MaxStartups 50:30:100
EOF
/usr/sbin/sshd -D -e -f "$ssh_dir/sshd_config" -p "$ssh_port" -o ListenAddress=127.0.0.1 2>"$ssh_dir/sshd.log" &
pids+=($!)
user=$(whoami)
export BACKUP_SFTP_HOST_KEY=$(ssh-keygen -lf "$ssh_dir/host_key.pub" | cut -d' ' -f2) BACKUP_SFTP_KEY_FILE=$ssh_dir/user_key
restic_sftp_cmd="ssh -p $ssh_port -i $ssh_dir/user_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR $user@127.0.0.1 -s sftp"
sftp_requests() { # unique request ids per session log, summed; then the logs are cleared
  local n=0 f
  for f in "$ssh_dir"/logs/session.*.log; do [[ -e $f ]] || continue; n=$((n + $(grep -oE 'request [0-9]+:' "$f" | sort -u | wc -l))); done
  rm -f "$ssh_dir"/logs/session.*.log; echo "$n"
}

# --- s3rver and azurite, each behind a counting proxy ---
s3_port=$(free_port) s3_proxy=$(free_port) az_port=$(free_port) az_proxy=$(free_port)
mkdir -p "$bench/s3" "$bench/azure"
NODE_OPTIONS=--openssl-legacy-provider "$tools/node_modules/.bin/s3rver" -d "$bench/s3" -a 127.0.0.1 -p "$s3_port" --silent \
  --configure-bucket bench >"$bench/s3rver.log" 2>&1 &
pids+=($!)
"$tools/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$az_port" --location "$bench/azure" --skipApiVersionCheck --loose --silent >"$bench/azurite.log" 2>&1 &
pids+=($!)
# restic 0.14 (minio-go) signs uploads over plain http as aws-chunked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), which
# s3rver 3.7.1 stores verbatim, chunk headers included: restic's own config then fails to parse ("Fatal: Unmarshal:
# invalid character 'b' after top-level value"). Over https it sends the payload as is, so the S3 proxy speaks TLS
# (throwaway certificate for 127.0.0.1) to both tools: restic trusts it with --cacert, .NET with SSL_CERT_FILE.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$bench/tls.key" -out "$bench/tls.crt" 2>/dev/null
node benchmarks/tools/count-proxy.js "$s3_proxy" "$s3_port" "$bench/tls.crt" "$bench/tls.key" & pids+=($!)
node benchmarks/tools/count-proxy.js "$az_proxy" "$az_port" & pids+=($!)
for p in "$ssh_port" "$s3_port" "$s3_proxy" "$az_port" "$az_proxy"; do wait_port "$p"; done
az_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
node benchmarks/tools/azure-create-container.js "http://127.0.0.1:$az_port/devstoreaccount1" devstoreaccount1 "$az_key" bench
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER BACKUP_S3_ENDPOINT=https://127.0.0.1:$s3_proxy SSL_CERT_FILE=$bench/tls.crt BACKUP_S3_PATH_STYLE=true
export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$az_key;BlobEndpoint=http://127.0.0.1:$az_proxy/devstoreaccount1;"
http_requests() { curl -sk "$2://127.0.0.1:$1/__counts?reset=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }

corpus_bytes=$(du -sb --apparent-size "$corpus" | cut -f1)
echo "corpus: $corpus ($((corpus_bytes / 1000000)) MB, $(find "$corpus" -type f | wc -l) files); sshd $ssh_port, s3rver $s3_port (proxy $s3_proxy), azurite $az_port (proxy $az_proxy)"
tar cf - "$corpus" 2>/dev/null | cat >/dev/null

# run TOOL TARGET ROUND -> appends "tool target backup_s restore_s backup_requests restore_requests our_calls_backup our_calls_restore" to $bench/rows
timed() { /usr/bin/time -f "%e" -o "$bench/t" "$@" >"$bench/out" 2>"$bench/err" || { { echo "FAILED: $*"; tail -n 5 "$bench/out" "$bench/err"; } >&2; return 1; }; cat "$bench/t"; }
server_requests() { case $1 in sftp) sftp_requests ;; s3) http_requests "$s3_proxy" https ;; azure) http_requests "$az_proxy" http ;; *) echo - ;; esac; }
our_calls() { grep -oE 'requests to .*: [0-9]+ calls' "$bench/err" | awk '{s+=$(NF-1)} END{print s+0}'; }
run() {
  local tool=$1 target=$2 round=$3 name=r$3-$1 repo out b r breq rreq bcalls=- rcalls=-
  out=$bench/restore-$tool-$target; rm -rf "$out"; mkdir -p "$out"
  case $tool-$target in
    backup-local) repo=$bench/local-$name ;;
    backup-sftp) repo=sftp://$user@127.0.0.1:$ssh_port$ssh_dir/data/$name ;;
    backup-s3) repo=s3://bench/$name ;;
    backup-azure) repo=azure://bench/$name ;;
    restic-local) repo=$bench/local-$name ;;
    restic-sftp) repo=sftp:$user@127.0.0.1:$ssh_dir/data/$name ;;
    restic-s3) repo=s3:https://127.0.0.1:$s3_proxy/bench/$name ;;
    *) return 0 ;;
  esac
  if [[ $tool == backup ]]; then
    "$cli" init --repo "$repo" >/dev/null
    server_requests "$target" >/dev/null
    b=$(BACKUP_TRACE_REQUESTS=1 timed "$cli" create --repo "$repo" -q "$corpus") || { echo "$tool $target FAILED"; return 0; }
    bcalls=$(our_calls); breq=$(server_requests "$target")
    r=$(BACKUP_TRACE_REQUESTS=1 timed "$cli" restore --repo "$repo" -q latest --target "$out") || { echo "$tool $target restore FAILED"; return 0; }
    rcalls=$(our_calls); rreq=$(server_requests "$target")
  else
    local opts=(-o s3.bucket-lookup=path --cacert "$bench/tls.crt")
    [[ $target == sftp ]] && opts=(-o "sftp.command=$restic_sftp_cmd")
    restic -q -r "$repo" "${opts[@]}" init >"$bench/out" 2>"$bench/err" || { echo "restic $target init FAILED: $(tail -3 "$bench/err")"; echo "restic $target init-failed" >>"$bench/rows"; return 0; }
    server_requests "$target" >/dev/null
    b=$(timed restic -q -r "$repo" "${opts[@]}" backup "$corpus") || { echo "restic $target backup FAILED"; return 0; }
    breq=$(server_requests "$target")
    r=$(timed restic -q -r "$repo" "${opts[@]}" restore latest --target "$out") || { echo "restic $target restore FAILED"; return 0; }
    rreq=$(server_requests "$target")
  fi
  local restored; restored=$(find "$out" -type d -path "*${corpus}" -print -quit)
  diff -r "$corpus" "${restored:-$out}" >/dev/null || { echo "RESTORE DIFFERS for $tool $target"; exit 1; }
  echo "$tool $target $b $r $breq $rreq $bcalls $rcalls" >>"$bench/rows"
  echo "  $tool $target: backup ${b}s, restore ${r}s, requests $breq / $rreq, our calls $bcalls / $rcalls"
  rm -rf "$out"
}

for ((i = 1; i <= rounds; i++)); do
  for target in $targets; do
    for tool in backup restic; do run "$tool" "$target" "$i"; done
  done
done
repo_bytes() { du -sb "$bench/local-r1-$1" | cut -f1; }
ours_bytes=$(repo_bytes backup) restic_bytes=$(repo_bytes restic)
echo
echo "repository: ours $((ours_bytes / 1000000)) MB, restic $((restic_bytes / 1000000)) MB (local)"
median() { sort -n | awk '{if ($1=="-") dash=1; a[NR]=$1} END{if (NR==0 || dash) print "-"; else print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf "%-7s %-6s %10s %10s %11s %12s %12s %13s %18s\n" target tool backup_MB/s restore_MB/s backup_s restore_s backup_req/GB restore_req/GB our_calls/GB_b/r
for target in $targets; do
  for tool in backup restic; do
    rows=$(awk -v t="$tool" -v g="$target" '$1==t && $2==g && NF==8' "$bench/rows")
    [[ -z $rows ]] && continue
    bytes=$ours_bytes; [[ $tool == restic ]] && bytes=$restic_bytes
    b=$(echo "$rows" | awk '{print $3}' | median) r=$(echo "$rows" | awk '{print $4}' | median)
    breq=$(echo "$rows" | awk '{print $5}' | median) rreq=$(echo "$rows" | awk '{print $6}' | median) calls=$(echo "$rows" | awk '{print $7}' | median) rcalls=$(echo "$rows" | awk '{print $8}' | median)
    echo "$target $tool $(awk -v c="$corpus_bytes" -v b="$b" -v r="$r" 'BEGIN{print c/1e6/b, c/1e6/r}')" >>"$bench/rates"
    awk -v t="$target" -v o="$tool" -v c="$corpus_bytes" -v s="$bytes" -v b="$b" -v r="$r" -v bq="$breq" -v rq="$rreq" -v k="$calls" -v rk="$rcalls" 'BEGIN{
      printf "%-7s %-6s %10.1f %10.1f %11.2f %12.2f %12s %13s %18s\n", t, o, c/1e6/b, c/1e6/r, b, r,
        (bq=="-"?"-":sprintf("%.0f", bq/(s/1e9))), (rq=="-"?"-":sprintf("%.0f", rq/(s/1e9))), (k=="-"?"-":sprintf("%.0f / %.0f", k/(s/1e9), rk/(s/1e9)))}'
  done
done
echo
for target in $targets; do
  awk -v g="$target" '$1==g && $2=="backup"{ob=$3; orr=$4} $1==g && $2=="restic"{rb=$3; rr=$4}
    END{if (ob && rb) printf "%-7s ours/restic throughput: backup %.2f, restore %.2f (above 1 = we are faster)\n", g, ob/rb, orr/rr}' "$bench/rates"
done
