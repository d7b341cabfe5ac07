#!/usr/bin/env bash
# Database backups, side by side in one run (issue #4):
#   1. this library's CLI:  backup create --postgres  +  backup restore --to-postgres
#   2. pg_dump -Fc to a file  +  pg_restore
#   3. pg_dump -Fc | restic backup --stdin  +  restic dump | pg_restore
# then DAYS daily rounds of "change 1% of the rows, back up again" with ours and restic, printing how much each
# repository grows per day. restic gets the dump both as pg_dump -Fc writes it by default (compressed, as in the
# issue) and uncompressed (-Fc -Z0, so its own chunking and zstd see the plain rows, as ours does).
#
# It starts its own throwaway PostgreSQL (initdb as the postgres user, 127.0.0.1 on a free port, a temp
# directory) and deletes everything afterwards (KEEP=1 keeps the work directory).
#
#   bash benchmarks/db-compare.sh                # ~1 GB, 7 days
#   SIZE_ROWS=500000 DAYS=2 bash benchmarks/db-compare.sh   # a quick smoke run
#
# Which rows change matters more than how many: a chunk holding one changed row is stored again, so
#   clustered  (default, DAYS rounds): one contiguous 1% band of ids per day (hot rows, a batch job), and
#   scattered  (SCATTERED_DAYS more rounds, default 2): every 100th row, so nearly every chunk of any tool changes.
#
# Settings (environment): SIZE_ROWS (default 4,500,000 rows, about 1.1 GB in PostgreSQL), DAYS (7), SCATTERED_DAYS (2),
# CHANGE_PERCENT (1), WORK (temp directory), BACKUP_CLI (a published backup tool; default: dotnet publish of
# src/Backup.Cli -c Release into the work directory).
set -euo pipefail

SIZE_ROWS=${SIZE_ROWS:-4500000}
DAYS=${DAYS:-7}
SCATTERED_DAYS=${SCATTERED_DAYS:-2}
CHANGE_PERCENT=${CHANGE_PERCENT:-1}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$(mktemp -d /tmp/db-compare.XXXXXX)}
mkdir -p "$WORK"
chmod 755 "$WORK"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- tools -----------------------------------------------------------------------------------------------------
if ! command -v restic >/dev/null; then
    log "installing restic (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic >/dev/null
fi

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$PGBIN/initdb" ]] || { echo "PostgreSQL server binaries not found under /usr/lib/postgresql" >&2; exit 1; }
as_postgres() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [[ -z "${BACKUP_CLI:-}" ]]; then
    log "publishing the backup CLI (Release)"
    dotnet publish "$REPO_ROOT/src/Backup.Cli" -c Release -m:1 -o "$WORK/cli" -nologo -v quiet >&2
    BACKUP_CLI="$WORK/cli/backup"
fi

# --- throwaway PostgreSQL --------------------------------------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PGDATA="$WORK/pgdata"
PW=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
mkdir -p "$PGDATA" "$WORK/pg" && printf '%s\n' "$PW" > "$WORK/pg/pw"
if [[ $(id -u) -eq 0 ]]; then chown -R postgres "$PGDATA" "$WORK/pg"; fi

cleanup() {
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
    if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

log "initdb + start PostgreSQL $(basename "$(dirname "$PGBIN")") on 127.0.0.1:$PORT in $WORK"
as_postgres "$PGBIN/initdb" -D "$PGDATA" -U postgres --pwfile="$WORK/pg/pw" -A scram-sha-256 -E UTF8 --locale=C >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg/log" -w -t 120 \
    -o "-p $PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c shared_buffers=256MB -c max_wal_size=4GB -c synchronous_commit=off -c maintenance_work_mem=256MB" start >/dev/null
rm -f "$WORK/pg/pw"

# Secrets only through the environment: PGPASSWORD for the PostgreSQL tools, BACKUP_DB_PASSWORD for ours.
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGPASSWORD=$PW BACKUP_DB_PASSWORD=$PW
export BACKUP_PASSWORD=bench-repo-password RESTIC_PASSWORD=bench-repo-password
CONN="Host=127.0.0.1;Port=$PORT;Username=postgres"
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1)

# --- data: text, numeric and bytea columns, >= 1 GB ------------------------------------------------------------
log "generating $SIZE_ROWS rows"
"${PSQL[@]}" -d postgres -c "CREATE DATABASE bench"
"${PSQL[@]}" -d bench <<SQL
CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    balance numeric(14, 2) NOT NULL,
    payload bytea NOT NULL,
    note text NOT NULL,
    updated timestamptz NOT NULL
);
INSERT INTO accounts
SELECT g, 'customer ' || g, (g % 1000003) * 1.37,
       decode(md5(g::text) || md5((g * 7)::text), 'hex'),
       md5((g * 3)::text) || ' ' || md5((g * 5)::text) || ' ' || repeat(chr(97 + (g % 26)), 40),
       timestamptz '2024-01-01' + g * interval '1 second'
FROM generate_series(1, $SIZE_ROWS) g;
CREATE INDEX accounts_name ON accounts (name);
VACUUM ANALYZE accounts;
SQL
DB_BYTES=$("${PSQL[@]}" -d bench -Atc "SELECT pg_database_size('bench')")
log "database size: $DB_BYTES bytes"

# --- helpers ---------------------------------------------------------------------------------------------------
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
size() { du -sb "$1" | cut -f1; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
rows_in() { "${PSQL[@]}" -d "$1" -Atc "SELECT count(*) FROM accounts"; }
drop() { "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1"; }

# --- 1. ours ---------------------------------------------------------------------------------------------------
OURS="$WORK/ours-repo"
"$BACKUP_CLI" init --repo "$OURS" -q >/dev/null
log "ours: backup create --postgres"
t=$(now); "$BACKUP_CLI" create --repo "$OURS" --postgres "$CONN;Database=bench" -q; OURS_BACKUP=$(elapsed "$t")
OURS_SIZE0=$(size "$OURS")
log "ours: backup restore --to-postgres"
t=$(now); "$BACKUP_CLI" restore latest --repo "$OURS" --to-postgres "$CONN;Database=postgres" --database r_ours -q; OURS_RESTORE=$(elapsed "$t")
[[ $(rows_in r_ours) == "$SIZE_ROWS" ]] || { echo "ours: restored row count differs" >&2; exit 1; }
drop r_ours

# --- 2. pg_dump -Fc to a file + pg_restore ---------------------------------------------------------------------
log "pg_dump -Fc > file"
t=$(now); "$PGBIN/pg_dump" -Fc -f "$WORK/bench.dump" bench; PGD_BACKUP=$(elapsed "$t")
PGD_SIZE=$(size "$WORK/bench.dump")
log "pg_restore"
"$PGBIN/createdb" -T template0 r_pgdump
t=$(now); "$PGBIN/pg_restore" --no-owner --exit-on-error -d r_pgdump "$WORK/bench.dump"; PGD_RESTORE=$(elapsed "$t")
[[ $(rows_in r_pgdump) == "$SIZE_ROWS" ]] || { echo "pg_restore: restored row count differs" >&2; exit 1; }
drop r_pgdump
rm -f "$WORK/bench.dump"

# --- 3. pg_dump -Fc | restic backup --stdin + restic dump | pg_restore -----------------------------------------
RESTIC="$WORK/restic-repo"
RESTIC_RAW="$WORK/restic-raw-repo"
restic init --repo "$RESTIC" -q >/dev/null
restic init --repo "$RESTIC_RAW" -q >/dev/null
log "pg_dump -Fc | restic backup --stdin"
t=$(now); "$PGBIN/pg_dump" -Fc bench | restic backup --repo "$RESTIC" --stdin --stdin-filename bench.dump -q; RESTIC_BACKUP=$(elapsed "$t")
RESTIC_SIZE0=$(size "$RESTIC")
log "restic dump | pg_restore"
"$PGBIN/createdb" -T template0 r_restic
t=$(now); restic dump --repo "$RESTIC" -q latest bench.dump | "$PGBIN/pg_restore" --no-owner --exit-on-error -d r_restic; RESTIC_RESTORE=$(elapsed "$t")
[[ $(rows_in r_restic) == "$SIZE_ROWS" ]] || { echo "restic: restored row count differs" >&2; exit 1; }
drop r_restic
log "pg_dump -Fc -Z0 | restic backup --stdin"
t=$(now); "$PGBIN/pg_dump" -Fc -Z0 bench | restic backup --repo "$RESTIC_RAW" --stdin --stdin-filename bench.dump -q; RESTIC_RAW_BACKUP=$(elapsed "$t")
RESTIC_RAW_SIZE0=$(size "$RESTIC_RAW")

# --- daily rounds: change 1% of the rows, back up with each --------------------------------------------------
DAILY=()
prev_ours=$OURS_SIZE0 prev_restic=$RESTIC_SIZE0 prev_raw=$RESTIC_RAW_SIZE0
for day in $(seq 1 $((DAYS + SCATTERED_DAYS))); do
    if (( day <= DAYS )); then
        pattern=clustered
        band=$((SIZE_ROWS * CHANGE_PERCENT / 100)) start=$(( (day * 7919 % 97) * SIZE_ROWS / 100 ))
        where="id > $start AND id <= $((start + band))"
    else
        pattern=scattered
        where="(id * 7919 + $day * 104729) % 100 < $CHANGE_PERCENT"
    fi
    log "day $day: updating $CHANGE_PERCENT% of the rows ($pattern)"
    changed=$("${PSQL[@]}" -d bench -Atc "WITH u AS (UPDATE accounts SET balance = balance + $day, note = md5(random()::text) || substr(note, 33), updated = updated + interval '1 day'
        WHERE $where RETURNING 1) SELECT count(*) FROM u")
    "${PSQL[@]}" -d bench -c "VACUUM accounts"
    t=$(now); "$BACKUP_CLI" create --repo "$OURS" --postgres "$CONN;Database=bench" -q; ours_t=$(elapsed "$t")
    t=$(now); "$PGBIN/pg_dump" -Fc bench | restic backup --repo "$RESTIC" --stdin --stdin-filename bench.dump -q; restic_t=$(elapsed "$t")
    t=$(now); "$PGBIN/pg_dump" -Fc -Z0 bench | restic backup --repo "$RESTIC_RAW" --stdin --stdin-filename bench.dump -q; raw_t=$(elapsed "$t")
    s_ours=$(size "$OURS") s_restic=$(size "$RESTIC") s_raw=$(size "$RESTIC_RAW")
    DAILY+=("| $day | $pattern | $changed | $(mb $((s_ours - prev_ours))) | $(mb "$s_ours") | $ours_t | $(mb $((s_restic - prev_restic))) | $(mb "$s_restic") | $restic_t | $(mb $((s_raw - prev_raw))) | $(mb "$s_raw") | $raw_t |")
    prev_ours=$s_ours prev_restic=$s_restic prev_raw=$s_raw
    log "day $day: ours +$(mb $((s_ours - OURS_SIZE0))) MB total growth, restic +$(mb $((s_restic - RESTIC_SIZE0))) MB, restic -Z0 +$(mb $((s_raw - RESTIC_RAW_SIZE0))) MB"
done

# --- report ----------------------------------------------------------------------------------------------------
cat <<EOF

Database: $SIZE_ROWS rows, pg_database_size $(mb "$DB_BYTES") MB (PostgreSQL $("${PSQL[@]}" -d bench -Atc "SHOW server_version")); $(nproc) cores; $(date -u +%Y-%m-%d).

| method | backup (s) | restore (s) | stored after the first backup (MB) |
| --- | ---: | ---: | ---: |
| ours: \`backup create --postgres\` / \`backup restore --to-postgres\` | $OURS_BACKUP | $OURS_RESTORE | $(mb "$OURS_SIZE0") |
| \`pg_dump -Fc\` to a file / \`pg_restore\` | $PGD_BACKUP | $PGD_RESTORE | $(mb "$PGD_SIZE") |
| \`pg_dump -Fc \| restic backup --stdin\` / \`restic dump \| pg_restore\` | $RESTIC_BACKUP | $RESTIC_RESTORE | $(mb "$RESTIC_SIZE0") |
| \`pg_dump -Fc -Z0 \| restic backup --stdin\` | $RESTIC_RAW_BACKUP | — | $(mb "$RESTIC_RAW_SIZE0") |

Daily backups, $CHANGE_PERCENT% of the rows updated before each ($DAYS clustered, then $SCATTERED_DAYS scattered) (MB; "+" is that day's repository growth):

| day | pattern | rows changed | ours + | ours total | ours backup (s) | restic (-Fc) + | restic (-Fc) total | restic backup (s) | restic (-Fc -Z0) + | restic (-Z0) total | restic -Z0 backup (s) |
| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
printf '%s\n' "${DAILY[@]}"
echo
echo "Growth over $((DAYS + SCATTERED_DAYS)) days: ours $(mb $((prev_ours - OURS_SIZE0))) MB, restic (-Fc) $(mb $((prev_restic - RESTIC_SIZE0))) MB, restic (-Fc -Z0) $(mb $((prev_raw - RESTIC_RAW_SIZE0))) MB."
