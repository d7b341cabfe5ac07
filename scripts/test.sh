#!/usr/bin/env bash
# Runs every test project in Backup.sln and prints one closing line: "N passed, N failed[, N skipped]".
set -uo pipefail
cd "$(dirname "$0")/.."
results=$(mktemp -d)
dotnet test Backup.sln -c Release --nologo --logger "trx" --results-directory "$results" "$@"
status=$?
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
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
