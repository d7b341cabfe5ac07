#!/usr/bin/env bash
# PostgreSQL backups side by side in one run (issue 21; run alone or through benchmarks/db-compare.sh):
#   ours:  backup create --postgres (the default, parallel method: one binary COPY per table on JOBS connections in
#          one exported snapshot, checksums from the COPY streams)  +  backup restore --to-postgres --jobs J
#   ref:   pg_dump -Fc to a local file  +  pg_restore -j J from it
# interleaved, ROUNDS times, for J = 1 and J = JOBS; the table prints medians and ratios (ours / reference). Then
# DAYS daily rounds of "change 1% of the rows, back up again" with ours and with restic fed pg_dump -Fc and
# pg_dump -Fc -Z0 (the same dumps), printing how much each repository grows per day.
#
# It starts its own throwaway PostgreSQL (initdb as the postgres user, 127.0.0.1 on a free port, a temp
# directory) and deletes everything afterwards (KEEP=1 keeps the work directory).
#
#   bash benchmarks/db/postgresql.sh                                    # about 1.1 GB, 3 rounds, 7 days
#   SIZE_ROWS=300000 ROUNDS=3 DAYS=2 bash benchmarks/db/postgresql.sh   # a quick run
#
# Data: three tables with five indexes and a foreign key, a mix of types: accounts (SIZE_ROWS rows: bigint, text,
# numeric, bytea, timestamptz; index on name), events (SIZE_ROWS rows: jsonb, int[], timestamptz, text; foreign key
# to accounts, index on (account, at)), items (SIZE_ROWS/2 rows: uuid, numeric, text, date; unique index on id).
#
# Which rows change matters more than how many: a chunk holding one changed row is stored again, so
#   clustered  (DAYS rounds): one contiguous 1% band of account ids per day (hot rows, a batch job), and
#   scattered  (SCATTERED_DAYS more rounds, default 0): every 100th account, so nearly every chunk of any tool changes.
#
# Settings (environment): SIZE_ROWS (2,000,000), ROUNDS (3), JOBS (nproc: ours reads that many tables at once by
# default, one per core, and both restores get it), DAYS (7), SCATTERED_DAYS (0), CHANGE_PERCENT (1), WORK (temp
# directory), BACKUP_CLI (a published backup tool; default: dotnet publish of src/Backup.Cli -c Release).
set -euo pipefail

SIZE_ROWS=${SIZE_ROWS:-2000000}
ROUNDS=${ROUNDS:-3}
JOBS=${JOBS:-$(nproc)}
DAYS=${DAYS:-7}
SCATTERED_DAYS=${SCATTERED_DAYS:-0}
CHANGE_PERCENT=${CHANGE_PERCENT:-1}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$REPO_ROOT/benchmarks/db/common.sh"
WORK=${WORK:-$(mktemp -d /tmp/db-compare.XXXXXX)}
mkdir -p "$WORK"
chmod 755 "$WORK"

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

# --- data: several large tables, indexes, a foreign key, a mix of types ----------------------------------------
log "generating $SIZE_ROWS rows per large table"
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
CREATE TABLE events (
    id bigint PRIMARY KEY,
    account bigint NOT NULL REFERENCES accounts (id),
    at timestamptz NOT NULL,
    kind text NOT NULL,
    attrs jsonb NOT NULL,
    tags int[] NOT NULL
);
INSERT INTO events
SELECT g, 1 + (g::bigint * 7919) % $SIZE_ROWS, timestamptz '2024-01-01' + g * interval '2 seconds', (ARRAY['login', 'order', 'refund', 'view'])[1 + g % 4],
       jsonb_build_object('ip', '10.' || (g % 256) || '.' || (g / 256 % 256) || '.1', 'amount', (g % 10000) / 100.0, 'ref', md5(g::text)),
       ARRAY[g % 10, g % 100, g % 1000]
FROM generate_series(1, $SIZE_ROWS) g;
CREATE TABLE items (
    id uuid NOT NULL,
    price numeric(12, 2) NOT NULL,
    title text NOT NULL,
    added date NOT NULL
);
INSERT INTO items
SELECT md5(g::text)::uuid, (g % 100000) / 7.0, 'item ' || g || ' ' || md5((g * 11)::text), date '2020-01-01' + g % 2000
FROM generate_series(1, $SIZE_ROWS / 2) g;
CREATE INDEX accounts_name ON accounts (name);
CREATE INDEX events_account_at ON events (account, at);
CREATE UNIQUE INDEX items_id ON items (id);
VACUUM ANALYZE;
SQL
DB_BYTES=$("${PSQL[@]}" -d bench -Atc "SELECT pg_database_size('bench')")
log "database size: $DB_BYTES bytes"

# --- helpers ---------------------------------------------------------------------------------------------------
rows_in() { "${PSQL[@]}" -d "$1" -Atc "SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM events) + (SELECT count(*) FROM items)"; }
EXPECTED_ROWS=$(rows_in bench)
drop() { "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1"; }
checked() { [[ $(rows_in "$1") == "$EXPECTED_ROWS" ]] || { echo "$2: restored row count differs" >&2; exit 1; }; drop "$1"; }
load() { awk '{ print $1 }' /proc/loadavg; }
# Each timed step starts from the same machine state. A restore leaves about a gigabyte of dirty pages in the kernel
# (and pg_dump its file), written back while the next step runs, so whichever step followed it paid for it: here
# the server checkpoints, the kernel writes everything out, and before a backup the tables are read once, untimed,
# so both backups find them in the page cache.
settle() {
    local dirty settled=0
    "${PSQL[@]}" -d postgres -c "CHECKPOINT"
    sync
    for _ in $(seq 1 240); do
        dirty=$(awk '/^(Dirty|Writeback):/ { kb += $2 } END { print kb }' /proc/meminfo)
        if (( dirty < 16384 )); then settled=1; break; fi
        sleep 0.5
    done
    (( settled )) || log "settle: the kernel still held $dirty KiB of dirty pages after 2 minutes; timing anyway"
    if [[ "${1:-}" == warm ]]; then
        "${PSQL[@]}" -d bench -Atc "SELECT count(*) FROM accounts; SELECT count(*) FROM events; SELECT count(*) FROM items" >/dev/null
    fi
    sleep 1
}

# --- side by side: ROUNDS x (ours, pg_dump) backups, and restores at 1 and JOBS jobs ----------------------------
OB=() PB=() OR1=() PR1=() ORJ=() PRJ=() LOADS=()
WRITES_BEFORE=$(write_costs "$WORK")
OURS="$WORK/ours-repo"
for round in $(seq 1 "$ROUNDS"); do
    rm -rf "$OURS"; "$BACKUP_CLI" init --repo "$OURS" -q >/dev/null
    LOADS+=("$(load)")
    settle warm
    log "round $round: ours backup"
    t=$(now); "$BACKUP_CLI" create --repo "$OURS" --postgres "$CONN;Database=bench" -q; OB+=("$(elapsed "$t")")
    settle warm
    log "round $round: pg_dump -Fc > file"
    t=$(now); "$PGBIN/pg_dump" -Fc -f "$WORK/bench.dump" bench; PB+=("$(elapsed "$t")")
    for jobs in $(printf '%s\n' 1 "$JOBS" | sort -un); do
        settle
        cached "$OURS"
        log "round $round: ours restore --jobs $jobs"
        t=$(now); "$BACKUP_CLI" restore latest --repo "$OURS" --to-postgres "$CONN;Database=postgres" --database r_ours --jobs "$jobs" -q; o=$(elapsed "$t")
        checked r_ours ours
        log "round $round: pg_restore -j $jobs"
        "$PGBIN/createdb" -T template0 r_pgdump
        settle
        cached "$WORK/bench.dump"
        t=$(now); "$PGBIN/pg_restore" --no-owner --exit-on-error -j "$jobs" -d r_pgdump "$WORK/bench.dump"; p=$(elapsed "$t")
        checked r_pgdump pg_restore
        if [[ $jobs == 1 ]]; then OR1+=("$o") PR1+=("$p"); fi
        if [[ $jobs == "$JOBS" ]]; then ORJ+=("$o") PRJ+=("$p"); fi
    done
done
WRITES_AFTER=$(write_costs "$WORK")
OURS_SIZE0=$(size "$OURS")
PGD_SIZE=$(size "$WORK/bench.dump")
rm -f "$WORK/bench.dump"
mOB=$(median "${OB[@]}") mPB=$(median "${PB[@]}") mOR1=$(median "${OR1[@]}") mPR1=$(median "${PR1[@]}") mORJ=$(median "${ORJ[@]}") mPRJ=$(median "${PRJ[@]}")
RB=($(round_ratios OB PB)) RR1=($(round_ratios OR1 PR1)) RRJ=($(round_ratios ORJ PRJ))

# --- restic, fed the same dumps (compressed as usually piped, and uncompressed) ---------------------------------
RESTIC="$WORK/restic-repo"
RESTIC_RAW="$WORK/restic-raw-repo"
restic init --repo "$RESTIC" -q >/dev/null
restic init --repo "$RESTIC_RAW" -q >/dev/null
log "pg_dump -Fc | restic backup --stdin"
"$PGBIN/pg_dump" -Fc bench | restic backup --repo "$RESTIC" --stdin --stdin-filename bench.dump -q
RESTIC_SIZE0=$(size "$RESTIC")
log "pg_dump -Fc -Z0 | restic backup --stdin"
"$PGBIN/pg_dump" -Fc -Z0 bench | restic backup --repo "$RESTIC_RAW" --stdin --stdin-filename bench.dump -q
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

PostgreSQL $("${PSQL[@]}" -d bench -Atc "SHOW server_version"): 3 tables ($SIZE_ROWS + $SIZE_ROWS + $((SIZE_ROWS / 2)) rows, 5 indexes, 1 foreign key), pg_database_size $(mb "$DB_BYTES") MB; $(nproc) cores; load average at each round's start: ${LOADS[*]}; $(date -u +%Y-%m-%d).
System time this machine takes to write 1 GiB to a file in the work directory, before the rounds: $WRITES_BEFORE; after: $WRITES_AFTER.
Medians of $ROUNDS interleaved rounds (seconds; ratio = ours / reference; ours backs up with $JOBS connections, one per core by default):

| step | ours | pg_dump -Fc / pg_restore | ratio of the medians | median of the rounds' ratios (each round's) |
| --- | ---: | ---: | ---: | ---: |
| backup (pg_dump -Fc to a local file) | $mOB | $mPB | $(ratio "$mOB" "$mPB") | $(median "${RB[@]}") (${RB[*]}) |
| restore, 1 job (\`--jobs 1\` / \`pg_restore -j 1\`) | $mOR1 | $mPR1 | $(ratio "$mOR1" "$mPR1") | $(median "${RR1[@]}") (${RR1[*]}) |
| restore, $JOBS jobs (\`--jobs $JOBS\` / \`pg_restore -j $JOBS\`) | $mORJ | $mPRJ | $(ratio "$mORJ" "$mPRJ") | $(median "${RRJ[@]}") (${RRJ[*]}) |

Rounds (s): ours backup ${OB[*]}; pg_dump ${PB[*]}; ours restore -j1 ${OR1[*]}; pg_restore -j1 ${PR1[*]}; ours restore -j$JOBS ${ORJ[*]}; pg_restore -j$JOBS ${PRJ[*]}.
Stored after one backup (MB): ours $(mb "$OURS_SIZE0") (repository); pg_dump -Fc $(mb "$PGD_SIZE") (the file); restic fed -Fc $(mb "$RESTIC_SIZE0"); restic fed -Fc -Z0 $(mb "$RESTIC_RAW_SIZE0").

Daily backups, $CHANGE_PERCENT% of the accounts updated before each ($DAYS clustered, then $SCATTERED_DAYS scattered) (MB; "+" is that day's repository growth):

| day | pattern | rows changed | ours + | ours total | ours backup (s) | restic (-Fc) + | restic (-Fc) total | restic backup (s) | restic (-Fc -Z0) + | restic (-Z0) total | restic -Z0 backup (s) |
| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
printf '%s\n' "${DAILY[@]}"
echo
echo "Growth over $((DAYS + SCATTERED_DAYS)) days: ours $(mb $((prev_ours - OURS_SIZE0))) MB, restic (-Fc) $(mb $((prev_restic - RESTIC_SIZE0))) MB, restic (-Fc -Z0) $(mb $((prev_raw - RESTIC_RAW_SIZE0))) MB."
