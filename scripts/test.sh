#!/usr/bin/env bash
# Runs every test project in Backup.sln and prints one closing line: "N passed, N failed[, N skipped]".
# With BACKUP_CLI_NATIVE=path/to/backup, the CLI tests also run against that native build of the tool.
set -uo pipefail
cd "$(dirname "$0")/.."
results=$(mktemp -d)
# A test that hangs fails after 5 minutes (no single test comes near that) instead of stalling the whole run.
hang=(--blame-hang-timeout 5m --blame-hang-dump-type none)
dotnet test Backup.sln -c Release --nologo --logger "trx" --results-directory "$results" "${hang[@]}" "$@"
status=$?
# BACKUP_CLI_NATIVE names a native build of the tool (dotnet publish): the CLI tests then run against it as well.
if [[ -n ${BACKUP_CLI_NATIVE:-} ]]; then
  BACKUP_CLI_UNDER_TEST=$(readlink -f "$BACKUP_CLI_NATIVE") dotnet test tests/Backup.Cli.Tests -c Release --nologo --logger "trx" --results-directory "$results/native" "${hang[@]}" "$@" || status=1
fi
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx "$results"/native/*.trx; do
  [[ -f $trx ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  # Skipped tests count towards total but not executed.
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  n=$(( ${t:-0} - ${e:-0} ))
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${n:-0}))
done
rm -rf "$results"
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi  # the run broke before tests could report
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
