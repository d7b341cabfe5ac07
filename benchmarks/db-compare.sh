#!/usr/bin/env bash
# Database backups against the engines' own tools, one engine after the other; each part is runnable alone and
# prints its own table:
#   benchmarks/db/postgresql.sh   ours vs pg_dump -Fc / pg_restore (medians of ROUNDS, same job count), growth vs restic
#   benchmarks/db/mariadb.sh      ours vs mariadb-dump / mariadb (run only when present)
# Settings are passed through the environment (SIZE_ROWS, ROUNDS, JOBS, DAYS, …: see each script).
#
#   bash benchmarks/db-compare.sh
#   SIZE_ROWS=300000 ROUNDS=3 DAYS=2 bash benchmarks/db-compare.sh   # a quick run
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for engine in postgresql mariadb; do
    script="$HERE/db/$engine.sh"
    if [[ -f "$script" ]]; then
        echo "## $engine"
        bash "$script"
        echo
    fi
done
