#!/usr/bin/env bash
# Records the current public API of every packable library in its PublicAPI.Unshipped.txt (RS0016 code fix) and
# removes entries for API that no longer exists (RS0017). Run after a deliberate public API change, review the
# diff of the PublicAPI.*.txt files, and commit them with the change.
#   bash scripts/update-public-api.sh                 every tracked project
#   bash scripts/update-public-api.sh src/Backup.Core  only these project directories
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  dirs=("$@")
else
  mapfile -t dirs < <(grep -l '<IsPackable>true</IsPackable>' -r src --include='*.csproj' | xargs grep -L '<PackAsTool>true</PackAsTool>' | xargs -n1 dirname | sort)
fi

for dir in "${dirs[@]}"; do
  project=$(ls "$dir"/*.csproj)
  for file in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [ -f "$dir/$file" ] || printf '#nullable enable\n' > "$dir/$file"
  done
  echo "== $project"
  dotnet format analyzers "$project" --diagnostics RS0016 RS0017 --severity info
done
