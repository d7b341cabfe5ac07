#!/usr/bin/env bash
# Usage: benchmarks/tools/rss-trace.sh CMD [ARGS...]
# Runs CMD and samples its resident memory (VmRSS) every 5 ms, printing a line whenever it moved by more than 2 MB
# since the last line, then CMD's exit code. /usr/bin/time's peak RSS says how high a process went; this says when,
# which separates a short spike (the key derivation of an open) from the memory the work itself holds.
set -u
"$@" >/dev/null 2>&1 &
pid=$!
start=$(date +%s%N) last=0
while [[ -r /proc/$pid/status ]]; do
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
  [[ -z $rss ]] && break
  if ((rss - last > 2048 || last - rss > 2048)); then
    printf '%6d ms %5d MB\n' $((($(date +%s%N) - start) / 1000000)) $((rss / 1024))
    last=$rss
  fi
  sleep 0.005
done
wait "$pid"
echo "exit $?"
