#!/usr/bin/env bash
# Runs every test project in Backup.sln and prints one closing line: "N passed, N failed, N skipped".
# Tests that need a server or tool the machine lacks (PostgreSQL, MariaDB, sshd, Azurite, s3rver) skip, and the run
# ends by listing why tests were skipped and the command that enables them:
#   bash scripts/test.sh --install-servers   installs them first (scripts/install-test-servers.sh and
#                                            scripts/install-remote-test-servers.sh: apt-get as root or with sudo, npm),
#                                            as .ci/run does, then runs every test
# Other arguments go to 'dotnet test' (e.g. --no-build, --filter "FullyQualifiedName~S3").
# With BACKUP_CLI_NATIVE=path/to/backup, the CLI tests also run against that native build of the tool.
set -uo pipefail
cd "$(dirname "$0")/.."

install=0
args=()
for arg in "$@"; do
  if [[ $arg == --install-servers ]]; then install=1; else args+=("$arg"); fi
done

# Why --install-servers cannot work here, or nothing when it can.
cannot_install() {
  if ! command -v apt-get >/dev/null 2>&1; then echo "this machine has no apt-get (the install scripts are for Debian/Ubuntu)"; return; fi
  if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null 2>&1; then echo "it needs root or sudo for apt-get, and this user is not root and has no sudo"; return; fi
}

if [[ $install -eq 1 ]]; then
  reason=$(cannot_install)
  if [[ -n $reason ]]; then echo "test.sh: cannot install the test servers: $reason."; exit 1; fi
  sudo=""; if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  # Azurite and s3rver come from npm.
  if ! command -v npm >/dev/null 2>&1; then
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null \
      || { echo "test.sh: installing npm failed"; exit 1; }
  fi
  bash scripts/install-test-servers.sh || { echo "test.sh: scripts/install-test-servers.sh failed"; exit 1; }
  bash scripts/install-remote-test-servers.sh || { echo "test.sh: scripts/install-remote-test-servers.sh failed"; exit 1; }
fi

results=$(mktemp -d)
# A test that hangs fails after 5 minutes (no single test comes near that) instead of stalling the whole run.
hang=(--blame-hang-timeout 5m --blame-hang-dump-type none)
dotnet test Backup.sln -c Release --nologo --logger "trx" --results-directory "$results" "${hang[@]}" ${args[@]+"${args[@]}"}
status=$?
# BACKUP_CLI_NATIVE names a native build of the tool (dotnet publish): the CLI tests then run against it as well.
if [[ -n ${BACKUP_CLI_NATIVE:-} ]]; then
  BACKUP_CLI_UNDER_TEST=$(readlink -f "$BACKUP_CLI_NATIVE") dotnet test tests/Backup.Cli.Tests -c Release --nologo --logger "trx" --results-directory "$results/native" "${hang[@]}" ${args[@]+"${args[@]}"} || status=1
fi
passed=0 failed=0 skipped=0
trxs=()
for trx in "$results"/*.trx "$results"/native/*.trx; do
  [[ -f $trx ]] || continue
  trxs+=("$trx")
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  # Skipped tests count towards total but not executed.
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  n=$(( ${t:-0} - ${e:-0} ))
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${n:-0}))
  # A test host that crashed (stack overflow, out of memory) leaves a trx of what ran before it: the crash is a failure.
  outcome=$(grep -o '<ResultSummary outcome="[A-Za-z]*"' "$trx" | sed 's/.*="\(.*\)"/\1/')
  if [[ $outcome == Aborted || ( $outcome == Failed && ${f:-0} -eq 0 ) ]]; then
    echo "test run aborted: $(basename "$trx")"
    failed=$((failed + 1))
  fi
done

if [[ $skipped -gt 0 && ${#trxs[@]} -gt 0 ]]; then
  # Each skipped test's reason is the <Message> of its NotExecuted result in the trx files: count the distinct ones.
  reasons=$(awk '
    /<UnitTestResult / { skipped = ($0 ~ /outcome="NotExecuted"/); message = ""; inmessage = 0; found = 0 }
    skipped && /<Message>/ { inmessage = 1; found = 1; line = $0; sub(/.*<Message>/, "", line); message = line }
    skipped && inmessage && !/<Message>/ { message = message " " $0 }
    skipped && inmessage && /<\/Message>/ { inmessage = 0; sub(/<\/Message>.*/, "", message) }
    skipped && /<\/UnitTestResult>/ { if (!found) message = "(no reason given)"; print message; skipped = 0 }
    skipped && /<UnitTestResult .*\/>/ { print "(no reason given)"; skipped = 0 }
  ' "${trxs[@]}" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]\+/ /g' \
      -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g' | sort | uniq -c | sort -rn)
  [[ -n $reasons ]] && echo && echo "Skipped tests, by reason:"
  awk '{ n = $1; sub(/^ *[0-9]+ /, ""); printf "  %5d  %s\n", n, $0 }' <<<"$reasons"
  if grep -qiE 'not installed|install-(remote-)?test-servers' <<<"$reasons"; then
    reason=$(cannot_install)
    if [[ -z $reason ]]; then
      echo "The tests skipped for a missing server or tool run after: bash scripts/test.sh --install-servers"
    else
      echo "The tests skipped for a missing server or tool run after 'bash scripts/test.sh --install-servers', but not on this machine: $reason."
    fi
  fi
  if grep -qi 'needs root' <<<"$reasons"; then
    echo "The tests that need root run when the tests run as root (in a container or a throwaway VM)."
  fi
fi

rm -rf "$results"
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi  # the run broke before tests could report
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
