#!/usr/bin/env bash
# Records the current public API of every tracked library in its PublicAPI.Unshipped.txt: builds each project,
# adds the symbols RS0016 reports as undeclared and removes those RS0017 reports as gone. Run it after a deliberate
# public API change, review the diff of the PublicAPI.*.txt files, and commit them with the change.
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
  log=$(dotnet build "$project" -c Release --no-incremental -p:TreatWarningsAsErrors=false -v q --nologo 2>&1 || true)
  unshipped="$dir/PublicAPI.Unshipped.txt"
  # RS0016: Symbol 'X' is not part of the declared public API -> add X.
  grep -oP "$(basename "$dir")/.*RS0016: Symbol '\K.*(?=' is not part of the declared public API)" <<<"$log" | sort -u > /tmp/public-api-add.$$ || true
  # RS0017: Symbol 'X' is part of the declared API, but is either not public or could not be found -> remove X.
  grep -oP "RS0017: Symbol '\K.*(?=' is part of the declared API)" <<<"$log" | sort -u > /tmp/public-api-remove.$$ || true
  python3 - "$unshipped" /tmp/public-api-add.$$ /tmp/public-api-remove.$$ <<'PY'
import sys
path, add, remove = sys.argv[1:4]
lines = open(path).read().splitlines()
header = [l for l in lines if l.startswith('#')]
body = {l for l in lines if l and not l.startswith('#')}
body |= {l for l in open(add).read().splitlines() if l}
body -= {l for l in open(remove).read().splitlines() if l}
open(path, 'w').write('\n'.join(header + sorted(body, key=str.lower)) + '\n')
print(f"  +{len(open(add).read().splitlines())} -{len(open(remove).read().splitlines())}")
PY
  rm -f /tmp/public-api-add.$$ /tmp/public-api-remove.$$
done
