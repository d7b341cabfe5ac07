#!/usr/bin/env bash
# MariaDB backups, side by side in one run (issue #21):
#   ours:      backup create --mysql … --driver-only  (the parallel method: JOBS connections in one snapshot)
#              backup restore --to-mysql … --jobs JOBS
#   reference: mariadb-dump --single-transaction … > file  /  mariadb < file
# ROUNDS rounds, interleaved (ours, then the reference, in each; the dump is also timed into /dev/null, its cost
# without the file), medians, ratios and the median of each round's own ratio printed; then DAYS daily
# rounds of "change 1% of the rows, back up again" with ours and with restic fed the same mariadb-dump output,
# printing how much each repository grows. The report also prints the system time this machine takes to write 1 GiB
# to a file in 4 KiB and in 1 MiB blocks, before and after the rounds: mariadb-dump's "> file" pays the first.
#
# It starts its own throwaway MariaDB (mariadb-install-db into a temp directory, mariadbd on 127.0.0.1 on a free
# port) and deletes everything afterwards (KEEP=1 keeps the work directory).
#
#   bash benchmarks/db/mariadb.sh                          # ~1.2 GB, 3 rounds, 7 days
#   SIZE_ROWS=100000 ROUNDS=1 DAYS=2 bash benchmarks/db/mariadb.sh   # a quick smoke run
#
# Settings (environment): SIZE_ROWS (default 1,500,000: rows of the two large tables; the blob table gets a
# quarter), ROUNDS (3), JOBS (2: our backup connections and restore connections; the mariadb client has one),
# DAYS (7), CHANGE_PERCENT (1), WORK (temp directory), BUFFER_POOL (512M), BACKUP_CLI (a published backup tool;
# default: dotnet publish of src/Backup.Cli -c Release into the work directory).
set -euo pipefail

SIZE_ROWS=${SIZE_ROWS:-1500000}
ROUNDS=${ROUNDS:-3}
JOBS=${JOBS:-2}
DAYS=${DAYS:-7}
CHANGE_PERCENT=${CHANGE_PERCENT:-1}
BUFFER_POOL=${BUFFER_POOL:-512M}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$REPO_ROOT/benchmarks/db/common.sh"
WORK=${WORK:-$(mktemp -d /tmp/db-mariadb.XXXXXX)}
mkdir -p "$WORK"

# --- tools -----------------------------------------------------------------------------------------------------
if ! command -v restic >/dev/null; then
    log "installing restic (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic >/dev/null
fi

MARIADBD=$(ls /usr/sbin/mariadbd /usr/bin/mariadbd 2>/dev/null | head -1 || true)
[[ -n "$MARIADBD" ]] || { echo "mariadbd not found; run scripts/install-test-servers.sh" >&2; exit 1; }
for tool in mariadb-install-db mariadb mariadb-dump; do
    command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 1; }
done

if [[ -z "${BACKUP_CLI:-}" ]]; then
    log "publishing the backup CLI (Release)"
    dotnet publish "$REPO_ROOT/src/Backup.Cli" -c Release -m:1 -o "$WORK/cli" -nologo -v quiet >&2
    BACKUP_CLI="$WORK/cli/backup"
fi

# --- throwaway MariaDB -----------------------------------------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATA="$WORK/data"
ME=$(id -un)
PW=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
SERVER_PID=

cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

log "mariadb-install-db + start $("$MARIADBD" --version | awk '{print $3}') on 127.0.0.1:$PORT in $WORK"
mkdir -p "$WORK/tmp"   # its own tmpdir: a starting MariaDB removes every "#sql…" file in its tmpdir, other servers' included
mariadb-install-db --user="$ME" --datadir="$DATA" --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve --tmpdir="$WORK/tmp" >/dev/null
"$MARIADBD" --no-defaults --user="$ME" --datadir="$DATA" --port="$PORT" --socket="$WORK/sock" --bind-address=127.0.0.1 \
    --pid-file="$WORK/pid" --log-error="$WORK/error.log" --innodb-buffer-pool-size="$BUFFER_POOL" --innodb-log-file-size=512M \
    --skip-log-bin --skip-name-resolve --innodb-flush-log-at-trx-commit=2 --max-allowed-packet=256M --tmpdir="$WORK/tmp" &
SERVER_PID=$!
for _ in $(seq 1 120); do
    mariadb -uroot -h127.0.0.1 -P"$PORT" -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.5
done
mariadb -uroot -h127.0.0.1 -P"$PORT" -e "CREATE USER 'bench'@'%' IDENTIFIED BY '$PW'; GRANT ALL ON *.* TO 'bench'@'%';"

# Secrets only through files and the environment: an option file for the mariadb tools, BACKUP_DB_PASSWORD for ours.
printf '[client]\nhost=127.0.0.1\nport=%s\nuser=bench\npassword=%s\n' "$PORT" "$PW" > "$WORK/my.cnf"
chmod 600 "$WORK/my.cnf"
export BACKUP_DB_PASSWORD=$PW BACKUP_PASSWORD=bench-repo-password RESTIC_PASSWORD=bench-repo-password
CONN="Server=127.0.0.1;Port=$PORT;User ID=bench;SslMode=None"
SQL=(mariadb --defaults-extra-file="$WORK/my.cnf" --batch --skip-column-names)

# --- data: several large tables, indexes, a mix of types -------------------------------------------------------
log "generating $SIZE_ROWS rows in orders and events, $((SIZE_ROWS / 4)) in files"
"${SQL[@]}" -e "CREATE DATABASE bench CHARACTER SET utf8mb4"
"${SQL[@]}" bench <<SQL
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(80) NOT NULL, UNIQUE KEY customers_name (name)) ENGINE = InnoDB;
CREATE TABLE orders (
    id BIGINT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(14, 2) NOT NULL, status ENUM('new', 'paid', 'shipped', 'void') NOT NULL,
    note VARCHAR(200) NOT NULL, created DATETIME(3) NOT NULL, total DECIMAL(16, 2) AS (amount * 1.2) STORED,
    KEY orders_customer (customer_id), KEY orders_created (created),
    CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)) ENGINE = InnoDB;
CREATE TABLE events (
    id BIGINT PRIMARY KEY, payload JSON NOT NULL, body TEXT NOT NULL, flags BIT(8) NOT NULL, day DATE NOT NULL, ratio DOUBLE,
    KEY events_day (day)) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
CREATE TABLE files (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, data BLOB NOT NULL, UNIQUE KEY files_name (name)) ENGINE = InnoDB;
INSERT INTO customers SELECT seq, CONCAT('customer ', seq) FROM seq_1_to_10000;
INSERT INTO orders (id, customer_id, amount, status, note, created)
SELECT seq, 1 + seq % 10000, (seq % 1000003) * 1.37, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'void'),
       CONCAT(MD5(seq), ' ', MD5(seq * 3), ' ', REPEAT(CHAR(97 + seq % 26), 40)), TIMESTAMPADD(SECOND, seq, '2024-01-01')
FROM seq_1_to_$SIZE_ROWS;
INSERT INTO events
SELECT seq, JSON_OBJECT('seq', seq, 'kind', ELT(1 + seq % 3, 'click', 'view', 'buy'), 'tags', JSON_ARRAY(seq % 7, 'x')),
       CONCAT('héllo wörld ✓ 日本語 ', SHA2(seq, 256), ' ', MD5(seq * 5), ' ', REPEAT('lorem ipsum ', 8)), seq % 256,
       DATE_ADD('2020-01-01', INTERVAL seq % 2000 DAY), seq / 7
FROM seq_1_to_$SIZE_ROWS;
INSERT INTO files SELECT seq, CONCAT('file-', seq), UNHEX(REPEAT(CONCAT(MD5(seq), SHA1(seq), MD5(seq * 11)), 6)) FROM seq_1_to_$((SIZE_ROWS / 4));
ANALYZE TABLE customers, orders, events, files;
SQL
DB_BYTES=$("${SQL[@]}" -e "SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'bench'")
log "database size (data + indexes): $DB_BYTES bytes"

# --- helpers ---------------------------------------------------------------------------------------------------
fingerprint() { "${SQL[@]}" "$1" -e "SELECT (SELECT COUNT(*) FROM orders), (SELECT SUM(amount) FROM orders), (SELECT COUNT(*) FROM events), (SELECT SUM(LENGTH(body)) FROM events), (SELECT COUNT(*) FROM files), (SELECT SUM(LENGTH(data)) FROM files)"; }
drop() { "${SQL[@]}" -e "DROP DATABASE IF EXISTS $1"; }
# Each timed step starts from the same server state. Before it, the server writes out what the previous step left
# (a restore leaves hundreds of MB of dirty pages behind, written at innodb_io_capacity, raised here for the wait),
# and before a backup the tables are read once untimed: a restore of 425 MB into the 512 MB buffer pool evicts
# them, so without this whichever backup followed a restore read from disk and the other found them cached.
# The flushing settings settle() changes, as the server started with them (innodb_io_capacity_max's DEFAULT is not
# its startup value).
read -r IO_CAPACITY IO_CAPACITY_MAX DIRTY_PCT DIRTY_LWM < <("${SQL[@]}" -e "SELECT @@innodb_io_capacity, @@innodb_io_capacity_max, @@innodb_max_dirty_pages_pct, @@innodb_max_dirty_pages_pct_lwm")
settle() {
    local dirty history settled=0
    "${SQL[@]}" -e "SET GLOBAL innodb_io_capacity_max = 100000; SET GLOBAL innodb_io_capacity = 50000; SET GLOBAL innodb_max_dirty_pages_pct = 0, GLOBAL innodb_max_dirty_pages_pct_lwm = 0"
    for _ in $(seq 1 240); do
        read -r dirty history < <("${SQL[@]}" -e "SELECT (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'), (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_HISTORY_LIST_LENGTH')") \
            || { echo "settle: the server's status could not be read" >&2; exit 1; }
        [[ $dirty =~ ^[0-9]+$ && $history =~ ^[0-9]+$ ]] || { echo "settle: unexpected status '$dirty' '$history'" >&2; exit 1; }
        if (( dirty < 50 && history < 1000 )); then settled=1; break; fi
        sleep 0.5
    done
    (( settled )) || log "settle: the server still had $dirty dirty pages and a history of $history after 2 minutes; timing anyway"
    "${SQL[@]}" -e "SET GLOBAL innodb_max_dirty_pages_pct = $DIRTY_PCT, GLOBAL innodb_max_dirty_pages_pct_lwm = $DIRTY_LWM; SET GLOBAL innodb_io_capacity = $IO_CAPACITY; SET GLOBAL innodb_io_capacity_max = $IO_CAPACITY_MAX"
    if [[ "${1:-}" == warm ]]; then
        mariadb-dump --defaults-extra-file="$WORK/my.cnf" --single-transaction --hex-blob bench > /dev/null
    fi
    sleep 1
}
DUMP_ARGS=(--single-transaction --routines --triggers --events --hex-blob --default-character-set=utf8mb4 --no-tablespaces)
EXPECTED=$(fingerprint bench)

# --- rounds: ours and the reference, interleaved ---------------------------------------------------------------
OB=() ORS=() DB=() DN=() DR=()
WRITES_BEFORE=$(write_costs "$WORK")
OURS_SIZE0= DUMP_SIZE=
for round in $(seq 1 "$ROUNDS"); do
    repo="$WORK/ours-$round"
    "$BACKUP_CLI" init --repo "$repo" -q >/dev/null
    settle warm
    log "round $round: ours backup (--driver-only, $JOBS connections)"
    t=$(now); "$BACKUP_CLI" create --repo "$repo" --mysql "$CONN;Database=bench" --driver-only -q; OB+=("$(elapsed "$t")")
    settle warm
    log "round $round: mariadb-dump > file"
    t=$(now); mariadb-dump --defaults-extra-file="$WORK/my.cnf" "${DUMP_ARGS[@]}" bench > "$WORK/bench.sql"; DB+=("$(elapsed "$t")")
    DUMP_SIZE=$(size "$WORK/bench.sql")
    settle warm
    log "round $round: mariadb-dump > /dev/null (the dump's own cost, without the file)"
    t=$(now); mariadb-dump --defaults-extra-file="$WORK/my.cnf" "${DUMP_ARGS[@]}" bench > /dev/null; DN+=("$(elapsed "$t")")
    settle
    cached "$repo"
    log "round $round: ours restore (--jobs $JOBS)"
    t=$(now); "$BACKUP_CLI" restore latest --repo "$repo" --to-mysql "$CONN;Database=mysql" --database r_ours --jobs "$JOBS" -q; ORS+=("$(elapsed "$t")")
    [[ $(fingerprint r_ours) == "$EXPECTED" ]] || { echo "ours: the restored data differs" >&2; exit 1; }
    drop r_ours
    settle
    log "round $round: mariadb < file"
    "${SQL[@]}" -e "CREATE DATABASE r_dump CHARACTER SET utf8mb4"
    cached "$WORK/bench.sql"
    t=$(now); mariadb --defaults-extra-file="$WORK/my.cnf" --default-character-set=utf8mb4 --binary-mode r_dump < "$WORK/bench.sql"; DR+=("$(elapsed "$t")")
    [[ $(fingerprint r_dump) == "$EXPECTED" ]] || { echo "mariadb: the restored data differs" >&2; exit 1; }
    drop r_dump
    rm -f "$WORK/bench.sql"
    if (( round == 1 )); then OURS_SIZE0=$(size "$repo"); else rm -rf "$repo"; fi
    log "round $round: backup ours ${OB[-1]} s vs mariadb-dump ${DB[-1]} s; restore ours ${ORS[-1]} s vs mariadb ${DR[-1]} s (load $(cut -d' ' -f1-3 /proc/loadavg))"
done
MOB=$(median "${OB[@]}") MORS=$(median "${ORS[@]}") MDB=$(median "${DB[@]}") MDN=$(median "${DN[@]}") MDR=$(median "${DR[@]}")
RB=($(round_ratios OB DB)) RR=($(round_ratios ORS DR))
WRITES_AFTER=$(write_costs "$WORK")

# --- daily rounds: change 1% of the rows, back up with ours and with restic fed mariadb-dump --------------------
OURS="$WORK/ours-1" RESTIC="$WORK/restic-repo"
restic init --repo "$RESTIC" -q >/dev/null
log "restic: first backup of mariadb-dump's output"
mariadb-dump --defaults-extra-file="$WORK/my.cnf" "${DUMP_ARGS[@]}" --skip-dump-date bench | restic backup --repo "$RESTIC" --stdin --stdin-filename bench.sql -q
RESTIC_SIZE0=$(size "$RESTIC")
DAILY=()
prev_ours=$OURS_SIZE0 prev_restic=$RESTIC_SIZE0
for day in $(seq 1 "$DAYS"); do
    band=$((SIZE_ROWS * CHANGE_PERCENT / 100)) start=$(( (day * 7919 % 97) * SIZE_ROWS / 100 ))
    log "day $day: updating $CHANGE_PERCENT% of the orders and events (ids $start-$((start + band)))"
    "${SQL[@]}" bench -e "UPDATE orders SET amount = amount + $day, note = CONCAT(MD5(RAND()), SUBSTR(note, 33)) WHERE id > $start AND id <= $((start + band));
        UPDATE events SET payload = JSON_SET(payload, '$.day', $day), ratio = ratio + $day WHERE id > $start AND id <= $((start + band));"
    t=$(now); "$BACKUP_CLI" create --repo "$OURS" --mysql "$CONN;Database=bench" --driver-only -q; ours_t=$(elapsed "$t")
    t=$(now); mariadb-dump --defaults-extra-file="$WORK/my.cnf" "${DUMP_ARGS[@]}" --skip-dump-date bench | restic backup --repo "$RESTIC" --stdin --stdin-filename bench.sql -q; restic_t=$(elapsed "$t")
    s_ours=$(size "$OURS") s_restic=$(size "$RESTIC")
    DAILY+=("| $day | $(mb $((s_ours - prev_ours))) | $(mb "$s_ours") | $ours_t | $(mb $((s_restic - prev_restic))) | $(mb "$s_restic") | $restic_t |")
    prev_ours=$s_ours prev_restic=$s_restic
done

# --- report ----------------------------------------------------------------------------------------------------
cat <<EOF

Database: orders and events $SIZE_ROWS rows each, files $((SIZE_ROWS / 4)), customers 10,000; data + indexes $(mb "$DB_BYTES") MB
(MariaDB $("${SQL[@]}" -e "SELECT VERSION()")); $(nproc) cores; load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d).
System time this machine took to write 1 GiB to a new file in the work directory (mariadb-dump's \`> file\` writes 4 KiB at a time), before the rounds: $WRITES_BEFORE; after: $WRITES_AFTER.
Medians of $ROUNDS interleaved rounds (each round's figures: ours backup ${OB[*]}; mariadb-dump ${DB[*]}; mariadb-dump > /dev/null ${DN[*]}; ours restore ${ORS[*]}; mariadb ${DR[*]}).

| | ours (s) | reference (s) | ratio of the medians | median of the rounds' ratios (each round's) |
| --- | ---: | ---: | ---: | ---: |
| backup: \`backup create --mysql --driver-only\` ($JOBS connections) vs \`mariadb-dump --single-transaction > file\` | $MOB | $MDB | $(ratio "$MOB" "$MDB") | $(median "${RB[@]}") (${RB[*]}) |
| the same vs \`mariadb-dump > /dev/null\` (no file written) | $MOB | $MDN | $(ratio "$MOB" "$MDN") | |
| restore: \`backup restore --to-mysql --jobs $JOBS\` vs \`mariadb < file\` | $MORS | $MDR | $(ratio "$MORS" "$MDR") | $(median "${RR[@]}") (${RR[*]}) |

Stored after the first backup: ours $(mb "$OURS_SIZE0") MB (repository), mariadb-dump file $(mb "$DUMP_SIZE") MB, restic $(mb "$RESTIC_SIZE0") MB.

Daily backups, $CHANGE_PERCENT% of the orders and events updated before each (one contiguous band of ids per day) (MB; "+" is that day's repository growth):

| day | ours + | ours total | ours backup (s) | restic + | restic total | restic backup (s) |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
printf '%s\n' "${DAILY[@]}"
echo
echo "Growth over $DAYS days: ours $(mb $((prev_ours - OURS_SIZE0))) MB, restic (fed mariadb-dump) $(mb $((prev_restic - RESTIC_SIZE0))) MB."
