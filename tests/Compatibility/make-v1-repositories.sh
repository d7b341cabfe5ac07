#!/usr/bin/env bash
# Writes the golden repositories of release 1.0.0 into tests/Compatibility/v1.0.0 with the backup tool OF THAT RELEASE,
# plus what they must restore to: manifests made from the source tree itself (not read back from a repository) and the
# snapshot lists the 1.0.0 tool printed. The current code's tests (tests/Backup.Cli.Tests/Compatibility) read them.
#
#   git worktree add /tmp/backup-v1.0.0 a915f74      # release 1.0.0 (see README.md beside this script)
#   dotnet build /tmp/backup-v1.0.0/src/Backup.Cli -c Release
#   bash tests/Compatibility/make-v1-repositories.sh /tmp/backup-v1.0.0/src/Backup.Cli/bin/Release/net10.0/backup
#
# Needs root (a hard-linked, 0600 and executable tree with fixed times, and runuser for PostgreSQL), python3, sqlite3,
# and the PostgreSQL and MariaDB servers of scripts/install-test-servers.sh (each started here on a free 127.0.0.1 port
# and removed afterwards). Encryption keys, IDs and snapshot times differ on every run; the content does not.
set -euo pipefail

cli=${1:?usage: make-v1-repositories.sh PATH-TO-THE-1.0.0-backup-TOOL}
here=$(cd "$(dirname "$0")" && pwd)
out=$here/v1.0.0
# Fixed, because a snapshot records the absolute path it was taken of, and the tests expect these.
work=/tmp/backup-compat-v1
src=$work/source

# A test password, known on purpose: these repositories hold nothing but the generated files below.
export BACKUP_PASSWORD='compat-v1-test-password'
export TZ=UTC LC_ALL=C.UTF-8
unset BACKUP_REPOSITORY BACKUP_PASSWORD_FILE

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

backup() { "$cli" "$@"; }

# Sets a file's, link's or directory's modification time without following links.
stamp() { touch -h -d "@$2" "$1"; }

# The manifest of the source tree as it is now: what a restore of the snapshot just taken must give back.
manifest() {
  python3 - "$src" > "$1" <<'PY'
import hashlib, os, stat, sys
root = sys.argv[1]
first_of_inode = {}
rows = []
paths = [root]
for directory, dirs, files in os.walk(root):
    paths += [os.path.join(directory, name) for name in dirs + files]
for path in paths:
    rel = os.path.relpath(path, root)
    st = os.lstat(path)
    kind, size, digest, target, link = "dir", "-", "-", "-", "-"
    if stat.S_ISREG(st.st_mode):
        kind, size = "file", str(st.st_size)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if st.st_nlink > 1:
            link = st.st_ino
    elif stat.S_ISLNK(st.st_mode):
        kind, target = "symlink", os.readlink(path)
    elif stat.S_ISFIFO(st.st_mode):
        kind = "fifo"
    elif not stat.S_ISDIR(st.st_mode):
        sys.exit(f"unexpected entry type: {path}")
    rows.append((rel, kind, format(stat.S_IMODE(st.st_mode), "04o"), size, digest, str(st.st_mtime_ns), target, link))
# A hard-linked file names the first of its names in path order.
for rel, *_, link in rows:
    if isinstance(link, int):
        first_of_inode[link] = min(first_of_inode.get(link, rel), rel)
rows = sorted(row[:7] + ((first_of_inode[row[7]] if isinstance(row[7], int) else row[7]),) for row in rows)
print("# path\ttype\tmode\tsize\tsha256\tmtime_ns\tlink_target\thard_link_of")
for row in rows:
    print("\t".join(row))
PY
}

# ---------------------------------------------------------------------------------------------------------------
# The source tree: what a user's files hold. Every time is fixed; contents come from fixed seeds.
make_tree() {
  rm -rf "$src" && mkdir -p "$src"
  cd "$src"
  printf 'hello, 1.0.0\n' > small.txt
  mkdir -p docs/nested/deeper empty-dir private hard bin
  printf '# Notes\n\nLines of a document that stays the same in every snapshot.\n' > docs/readme.md
  printf 'deep\n' > docs/nested/deeper/leaf.txt
  : > empty-file
  # Several chunks (FastCDC, 512 KiB to 8 MiB, 1 MiB on average) of text that compresses well, so the fixture stays small.
  awk 'BEGIN { for (i = 0; i < 190000; i++) printf "%07d %s\n", i, (i % 7 == 0 ? "seven" : "line") }' > docs/multi-chunk.log
  printf 'only mine\n' > private/secret.key && chmod 0600 private/secret.key
  chmod 0700 private
  printf '#!/bin/sh\necho run\n' > bin/run.sh && chmod 0755 bin/run.sh
  printf 'the same inode under two names\n' > hard/first.txt && ln hard/first.txt hard/second.txt
  printf 'spaces\n' > 'name with spaces.txt'
  printf 'gone in snapshot 2\n' > removed-later.txt
  printf 'utf-8\n' > 'ünïcödé 日本語 ✓.txt'
  printf 'dash\n' > -leading-dash.txt
  ln -s small.txt link-to-small
  ln -s docs/nested link-to-dir
  ln -s does-not-exist dangling-link
  mkfifo pipe
  # A sparse file: 192 KiB with a few bytes of data in the middle.
  truncate -s 192K sparse.bin && printf 'middle' | dd of=sparse.bin bs=1 seek=98304 conv=notrunc status=none
  chmod 0644 small.txt docs/readme.md docs/nested/deeper/leaf.txt empty-file docs/multi-chunk.log hard/first.txt \
    'name with spaces.txt' 'ünïcödé 日本語 ✓.txt' removed-later.txt -- -leading-dash.txt sparse.bin
  chmod 0640 pipe
  local t=1700000000
  for entry in small.txt docs/readme.md docs/nested/deeper/leaf.txt empty-file docs/multi-chunk.log private/secret.key \
    bin/run.sh hard/first.txt 'name with spaces.txt' 'ünïcödé 日本語 ✓.txt' ./-leading-dash.txt link-to-small link-to-dir \
    dangling-link pipe sparse.bin removed-later.txt; do
    t=$((t + 3600)); stamp "$entry" "$t.$((t % 1000))123456"
  done
  stamp_directories
  cd - >/dev/null
}

# Directory times last (making entries changes them), deepest first.
stamp_directories() {
  local t=1710000000
  while IFS= read -r -d '' directory; do
    t=$((t + 86400)); stamp "$directory" "$t.250000000"
  done < <(find "$src" -depth -type d -print0)
}

# ---------------------------------------------------------------------------------------------------------------
rm -rf "$work" "$out"
mkdir -p "$work" "$out"
make_tree

repo=$work/default-zstd
backup init --repo "$repo" > /dev/null
# 1: full. 2: incremental, after changes. 3: differential (against 1), after more changes.
backup create "$src" --repo "$repo" --host compat-host --tag v1-fixture --tag files --level full -q
manifest "$out/manifest-files-1.tsv"

cd "$src"
printf 'hello, 1.0.0, changed\n' > small.txt && stamp small.txt 1720000000.5
printf 'added in snapshot 2\n' > added.txt && chmod 0644 added.txt && stamp added.txt 1720000100
rm removed-later.txt
chmod 0600 bin/run.sh && chmod 0700 bin/run.sh && stamp bin/run.sh 1720000200
printf '%07d changed tail\n' 190000 >> docs/multi-chunk.log && stamp docs/multi-chunk.log 1720000300
stamp docs/readme.md 1720000400.000000001
cd - >/dev/null
stamp_directories
backup create "$src" --repo "$repo" --host compat-host --tag v1-fixture --tag files --level incremental -q
manifest "$out/manifest-files-2.tsv"

cd "$src"
ln hard/first.txt hard/third.txt
mv docs/nested docs/moved && rm link-to-dir && ln -s docs/moved link-to-dir && stamp link-to-dir 1730000000
rm empty-file && mkdir empty-file
: > new-empty && chmod 0600 new-empty && stamp new-empty 1730000100
cd - >/dev/null
stamp_directories
backup create "$src" --repo "$repo" --host compat-host --tag v1-fixture --level differential -q
manifest "$out/manifest-files-3.tsv"

# A stream, as `pg_dump | backup create --stdin` stores one.
awk 'BEGIN { srand(2); for (i = 0; i < 2000; i++) printf "row %d %d\n", i, int(rand() * 1000000) }' > "$work/stdin.txt"
backup create --stdin --stdin-name dump.sql --repo "$repo" --host compat-host-b --tag stdin -q < "$work/stdin.txt"
sha256sum < "$work/stdin.txt" | cut -d' ' -f1 > "$out/stdin.sha256"

# SQLite: rows of every storage class; the expected rows as sqlite3 prints them.
sqlite3 "$work/shop.db" <<'SQL'
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, payload BLOB, note TEXT);
INSERT INTO items VALUES (1, 'first', 1.5, x'00ff10', NULL), (2, 'zweite ✓ 日本', 2.25, NULL, 'with ''quote'''), (3, 'third', NULL, x'', '');
CREATE TABLE notes (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items (id), body TEXT);
INSERT INTO notes (item_id, body) VALUES (1, 'a'), (2, 'b'), (3, 'c');
CREATE INDEX notes_item ON notes (item_id);
CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 2;
SQL
sqlite_rows="SELECT 'items', id, name, quote(price), hex(payload), quote(note) FROM items UNION ALL SELECT 'notes', id, item_id, body, '', '' FROM notes ORDER BY 1, 2"
sqlite3 -separator '|' "$work/shop.db" "$sqlite_rows" > "$out/sqlite-rows.txt"
backup create --sqlite "$work/shop.db" --repo "$repo" --host compat-host --tag sqlite -q

# PostgreSQL, from a throwaway server.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg_root=$work/pg && pg_port=$(free_port)
mkdir -p "$pg_root" && printf 'compat-pg-test-password\n' > "$pg_root/pw" && chown -R postgres "$pg_root"
runuser -u postgres -- "$pg_bin/initdb" -D "$pg_root/data" -U postgres --pwfile="$pg_root/pw" -A scram-sha-256 --no-sync -E UTF8 --locale=C > /dev/null
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_root/data" -l "$pg_root/log" -w -o "-p $pg_port -k $pg_root -c listen_addresses=127.0.0.1 -c fsync=off" start > /dev/null
trap 'runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_root/data" -m immediate stop > /dev/null 2>&1 || true; [[ -n ${mariadb_pid:-} ]] && kill "$mariadb_pid" 2>/dev/null || true' EXIT
export PGPASSWORD='compat-pg-test-password'
psql_do() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres "$@"; }
psql_do -d postgres -c 'CREATE DATABASE shop'
psql_do -d shop <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(12, 4), payload bytea, seen timestamptz, tags text[]);
CREATE TABLE notes (id serial PRIMARY KEY, item_id int REFERENCES items (id), body text);
INSERT INTO items SELECT g, 'item ' || g || ' ✓ 日本', g * 1.0001, decode(md5(g::text), 'hex'), timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute', ARRAY['a', g::text]
    FROM generate_series(1, 200) g;
INSERT INTO items VALUES (0, 'nulls', NULL, NULL, NULL, NULL);
INSERT INTO notes (item_id, body) SELECT g, repeat('n', g % 50) FROM generate_series(1, 50) g;
CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10;
SQL
pg_fingerprint="SELECT md5(string_agg(i::text, ',' ORDER BY i.id)) || md5(coalesce((SELECT string_agg(n::text, ',' ORDER BY n.id) FROM notes n), '')) || ':' || (SELECT count(*) FROM cheap) FROM items i"
psql_do -d shop -A -t -c "$pg_fingerprint" > "$out/postgres-fingerprint.txt"
BACKUP_DB_PASSWORD=$PGPASSWORD backup create --postgres "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=shop" --repo "$repo" --host compat-host --tag postgres -q

# The 'databases' repository: the formats most at risk of drifting, the driver-only ones (their own manifests and
# per-table files), of a database whose types a drift would show in: numeric (NaN, tiny and huge), bytea (with NUL
# and backslash bytes), json and jsonb, times with microseconds, an interval, text with quotes, newlines,
# backslashes and tabs, NULL in every column, a quoted table name, a sequence advanced past its rows, and a view.
# Its fingerprint renders times in UTC, so it does not depend on the reading session's time zone.
dbs=$work/databases
backup init --repo "$dbs" > /dev/null
psql_do -d postgres -c 'CREATE DATABASE typed'
psql_do -d typed <<'SQL'
CREATE SEQUENCE ticket_seq START 1000 INCREMENT 7;
CREATE TABLE kinds (id int PRIMARY KEY, amount numeric(20, 6), exact numeric, raw bytea, doc json, docb jsonb, at timestamptz, local_at timestamp(3),
    day date, span interval, note text, flag boolean, ratio double precision, uid uuid, ticket bigint NOT NULL DEFAULT nextval('ticket_seq'));
CREATE TABLE "Odd ""Name""" (id bigserial PRIMARY KEY, "Value" text);
INSERT INTO kinds (id, amount, exact, raw, doc, docb, at, local_at, day, span, note, flag, ratio, uid) VALUES
    (1, 12345678901234.123456, 1e-20, '\x00ff5c27'::bytea, '{"a": [1, 2.50, "x\"y"], "b": null}', '{"z": 1, "a": {"k": "v"}}',
     '2024-02-29 23:59:59.123456+00', '1999-12-31 23:59:59.999', '2024-02-29', '1 year 2 mons 3 days 04:05:06.789',
     E'it''s "quoted"\nline two\\backslash\ttab', true, 1.0000000000000002, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
    (2, -0.000001, 'NaN', ''::bytea, '[]', 'null', '1970-01-01 00:00:00.000001+00', '2038-01-19 03:14:08', '0001-01-01', '-00:00:00.000001',
     '', false, '-Infinity', NULL),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO kinds (id, amount, raw, at, note)
    SELECT g, g / 7.0, decode(repeat(md5(g::text), 4), 'hex'), timestamptz '2024-01-01 00:00:00.5+00' + g * interval '1.000001 second', 'row ' || g || E' \\ ✓ 日本'
    FROM generate_series(4, 300) g;
INSERT INTO "Odd ""Name""" ("Value") SELECT repeat(E'\\', g % 5) || g FROM generate_series(1, 40) g;
DO $$ BEGIN PERFORM nextval('ticket_seq') FROM generate_series(1, 3); END $$;
DELETE FROM "Odd ""Name""" WHERE id > 37;
CREATE VIEW recent AS SELECT id, note FROM kinds WHERE day >= date '2024-01-01' OR at >= timestamptz '2024-01-01 00:03:00+00';
SQL
pg_typed_fingerprint=$(cat <<'SQL'
SELECT md5(string_agg(concat_ws('|', id, coalesce(amount::text, 'N'), coalesce(exact::text, 'N'), coalesce(encode(raw, 'hex'), 'N'), coalesce(doc::text, 'N'), coalesce(docb::text, 'N'), coalesce(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), 'N'), coalesce(to_char(local_at, 'YYYY-MM-DD HH24:MI:SS.US'), 'N'), coalesce(to_char(day, 'YYYY-MM-DD'), 'N'), coalesce(span::text, 'N'), coalesce(note, 'N'), coalesce(flag::text, 'N'), coalesce(ratio::text, 'N'), coalesce(uid::text, 'N'), ticket), ',' ORDER BY id)) || md5((SELECT string_agg(id || '=' || "Value", ',' ORDER BY id) FROM "Odd ""Name""")) || ':' || (SELECT count(*) FROM recent) || ':' || (SELECT last_value || '/' || is_called FROM ticket_seq) || ':' || (SELECT last_value || '/' || is_called FROM "Odd ""Name""_id_seq") FROM kinds
SQL
)
printf '%s\n' "$pg_typed_fingerprint" > "$out/postgres-typed-fingerprint.sql"
psql_do -d typed -A -t -c "$pg_typed_fingerprint" > "$out/postgres-typed-fingerprint.txt"
# Driver-only: binary COPY per table, the schema from pg_dump (installed here, as 1.0.0 preferred it).
BACKUP_DB_PASSWORD=$PGPASSWORD backup create --postgres "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=typed" --driver-only --repo "$dbs" --host compat-host --tag postgres-driver -q
# The same database through pg_dump, so each format is compared on the same rows.
BACKUP_DB_PASSWORD=$PGPASSWORD backup create --postgres "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=typed" --repo "$dbs" --host compat-host --tag postgres-typed -q

# MariaDB, from a throwaway server.
my_root=$work/mariadb && my_port=$(free_port)
mkdir -p "$my_root/tmp"
mariadb-install-db --user=root --datadir="$my_root/data" --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve --tmpdir="$my_root/tmp" > /dev/null
mariadbd --no-defaults --user=root --datadir="$my_root/data" --port="$my_port" --socket="$my_root/sock" --bind-address=127.0.0.1 \
  --pid-file="$my_root/pid" --log-error="$my_root/error.log" --tmpdir="$my_root/tmp" --skip-log-bin --skip-name-resolve \
  --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 &
mariadb_pid=$!
for _ in $(seq 100); do mariadb --no-defaults -h 127.0.0.1 -P "$my_port" -u root -e 'SELECT 1' > /dev/null 2>&1 && break; sleep 0.3; done
mariadb --no-defaults -h 127.0.0.1 -P "$my_port" -u root <<'SQL'
CREATE USER 'tester'@'%' IDENTIFIED BY 'compat-mariadb-test-password'; GRANT ALL ON *.* TO 'tester'@'%';
CREATE DATABASE shop CHARACTER SET utf8mb4;
USE shop;
CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, price DECIMAL(12,4), payload VARBINARY(32), seen DATETIME(6), doc JSON);
CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT, body TEXT, FOREIGN KEY (item_id) REFERENCES items (id));
INSERT INTO items SELECT seq, CONCAT('item ', seq, ' ✓ 日本'), seq * 1.0001, UNHEX(MD5(seq)), TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq MINUTE, JSON_OBJECT('n', seq) FROM seq_1_to_200;
INSERT INTO items VALUES (0, 'nulls', NULL, NULL, NULL, NULL);
INSERT INTO notes (item_id, body) SELECT seq, REPEAT('n', seq % 50) FROM seq_1_to_50;
CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10;
SQL
my_fingerprint="SELECT CONCAT(MD5(GROUP_CONCAT(CONCAT_WS('|', id, name, IFNULL(price, 'N'), IFNULL(HEX(payload), 'N'), IFNULL(seen, 'N'), IFNULL(doc, 'N')) ORDER BY id SEPARATOR ',')), (SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, item_id, body) ORDER BY id SEPARATOR ',')) FROM notes), ':', (SELECT COUNT(*) FROM cheap)) FROM items"
mariadb --no-defaults -h 127.0.0.1 -P "$my_port" -u root -N -B -D shop -e "SET SESSION group_concat_max_len = 1048576; $my_fingerprint" > "$out/mariadb-fingerprint.txt"
BACKUP_DB_PASSWORD='compat-mariadb-test-password' backup create --mysql "Server=127.0.0.1;Port=$my_port;User ID=tester;Database=shop;SslMode=None" --repo "$repo" --host compat-host --tag mariadb -q

# MariaDB into 'databases': a database of every type family, a generated column, a quoted table name whose
# AUTO_INCREMENT counter is past its rows, and a view; driver-only, and every user database (shop and typed) at once.
mariadb --no-defaults -h 127.0.0.1 -P "$my_port" -u root <<'SQL'
CREATE DATABASE typed CHARACTER SET utf8mb4;
USE typed;
CREATE TABLE kinds (id INT PRIMARY KEY, amount DECIMAL(20,6), ratio DOUBLE, small FLOAT, raw BLOB, fixed BINARY(4), doc JSON, at DATETIME(6),
    stamp TIMESTAMP(3) NULL, day DATE, span TIME(6), yr YEAR, note TEXT, flag BIT(3), kind ENUM('a', 'b c'), opts SET('x', 'y'),
    total DECIMAL(22,6) AS (amount * 2) VIRTUAL) ENGINE = InnoDB;
CREATE TABLE `odd ``name` (id INT AUTO_INCREMENT PRIMARY KEY, `Value` VARCHAR(200)) ENGINE = InnoDB;
SET time_zone = '+00:00';
INSERT INTO kinds (id, amount, ratio, small, raw, fixed, doc, at, stamp, day, span, yr, note, flag, kind, opts) VALUES
    (1, 12345678901234.123456, 1.0000000000000002, 0.1, X'00FF5C27', X'00000001', '{"a": [1, 2.50, "x\\"y"], "b": null}', '2024-02-29 23:59:59.123456',
     '2024-02-29 23:59:59.123', '2024-02-29', '-838:59:59.000000', 2024, 'it''s "quoted"\nline two\\backslash\ttab', b'101', 'b c', 'x,y'),
    (2, -0.000001, -1e308, -0.5, X'', X'FFFFFFFF', '[]', '1000-01-01 00:00:00.000001', '1970-01-01 00:00:01.000', '1000-01-01', '00:00:00.000001', 1901,
     '', b'000', 'a', ''),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO kinds (id, amount, raw, at, note)
    SELECT seq, seq / 7, UNHEX(REPEAT(MD5(seq), 4)), TIMESTAMP '2024-01-01 00:00:00.5' + INTERVAL seq * 1000001 MICROSECOND, CONCAT('row ', seq, ' \\ ✓ 日本')
    FROM seq_4_to_300;
INSERT INTO `odd ``name` (`Value`) SELECT CONCAT(REPEAT('\\', seq % 5), seq) FROM seq_1_to_40;
DELETE FROM `odd ``name` WHERE id > 37;
CREATE VIEW recent AS SELECT id, note FROM kinds WHERE day >= '2024-01-01' OR at >= '2024-01-01 00:03:00';
SQL
my_typed_fingerprint=$(cat <<'SQL'
SELECT CONCAT(MD5(GROUP_CONCAT(CONCAT_WS('|', id, IFNULL(amount, 'N'), IFNULL(ratio, 'N'), IFNULL(small, 'N'), IFNULL(HEX(raw), 'N'), IFNULL(HEX(fixed), 'N'), IFNULL(doc, 'N'), IFNULL(at, 'N'), IFNULL(UNIX_TIMESTAMP(stamp), 'N'), IFNULL(day, 'N'), IFNULL(span, 'N'), IFNULL(yr, 'N'), IFNULL(HEX(note), 'N'), IFNULL(flag + 0, 'N'), IFNULL(kind, 'N'), IFNULL(opts, 'N'), IFNULL(total, 'N')) ORDER BY id SEPARATOR ',')), (SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, HEX(`Value`)) ORDER BY id SEPARATOR ',')) FROM `odd ``name`), ':', (SELECT COUNT(*) FROM recent), ':', (SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'odd `name')) FROM kinds
SQL
)
printf '%s\n' "$my_typed_fingerprint" > "$out/mariadb-typed-fingerprint.sql"
mariadb --no-defaults -h 127.0.0.1 -P "$my_port" -u root -N -B -D typed -e "SET SESSION group_concat_max_len = 1048576; $my_typed_fingerprint" > "$out/mariadb-typed-fingerprint.txt"
BACKUP_DB_PASSWORD='compat-mariadb-test-password' backup create --mysql "Server=127.0.0.1;Port=$my_port;User ID=tester;Database=typed;SslMode=None" --driver-only --repo "$dbs" --host compat-host --tag mariadb-driver -q
BACKUP_DB_PASSWORD='compat-mariadb-test-password' backup create --mysql "Server=127.0.0.1;Port=$my_port;User ID=tester;SslMode=None" --all-databases --repo "$dbs" --host compat-host --tag mariadb-all -q
backup snapshots --repo "$dbs" --json > "$out/snapshots-databases.json"
backup snapshots --repo "$repo" --json > "$out/snapshots-default-zstd.json"

# The other compressions 1.0.0 offered, each with snapshot 3's tree ('none' without the multi-chunk file, to stay small).
backup init --repo "$work/gzip" --compression gzip > /dev/null
backup create "$src" --repo "$work/gzip" --host compat-host --tag gzip -q
backup snapshots --repo "$work/gzip" --json > "$out/snapshots-gzip.json"
backup init --repo "$work/none" --compression none > /dev/null
backup create "$src" --repo "$work/none" --host compat-host --tag none --exclude /docs/multi-chunk.log -q
backup snapshots --repo "$work/none" --json > "$out/snapshots-none.json"
cp "$out/manifest-files-3.tsv" "$out/manifest-gzip.tsv"
grep -v '^docs/multi-chunk.log	' "$out/manifest-files-3.tsv" > "$out/manifest-none.tsv"

# A repository after forget and prune: three snapshots of a small tree, the oldest two forgotten and their data pruned.
backup init --repo "$work/forgotten" > /dev/null
small=$work/small && mkdir -p "$small"
for n in 1 2 3; do
  rm -f "$small"/data-*.txt
  awk -v n="$n" 'BEGIN { srand(n); for (i = 0; i < 3000; i++) printf "%d %d\n", n, int(rand() * 1e9) }' > "$small/data-$n.txt"
  stamp "$small/data-$n.txt" "17400000$n"
  stamp "$small" 1750000000
  backup create "$small" --repo "$work/forgotten" --host compat-host --tag forgotten -q
done
backup forget --repo "$work/forgotten" --keep-last 1 --prune --unindexed-grace 0 -q
(src=$small; manifest "$out/manifest-forgotten.tsv")
backup snapshots --repo "$work/forgotten" --json > "$out/snapshots-forgotten.json"

for name in default-zstd gzip none forgotten databases; do
  backup check --repo "$work/$name" --read-data -q
  # Locks are gone after every command; the empty directories git does not keep are recreated by the readers.
  rm -rf "$work/$name/.tmp" "$work/$name/locks"
  cp -r "$work/$name" "$out/$name"
done
backup --version > "$out/written-by.txt"
du -sh "$out"
