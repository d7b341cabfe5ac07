#!/usr/bin/env bash
# Runs a command against throwaway local servers, then tears them down:
#   bash scripts/run-with-servers.sh dotnet run --project samples/WorkerService -c Release --no-build -- --once
# It starts, on free 127.0.0.1 ports and in a temporary directory that is deleted afterwards,
#   - a MariaDB server with a database 'shop' (table 'orders', a few rows), a user 'backup' that may back it up and
#     create scratch databases for restore drills, and a root password;
#   - s3rver (the S3-compatible server scripts/install-remote-test-servers.sh puts into .tools) with one bucket;
# and exports for the command (passwords as values and as 0600 files, so a configuration can use either):
#   BACKUP_SAMPLE_MARIADB                  connection string without password: Server=127.0.0.1;Port=…;User ID=backup;Database=shop
#   BACKUP_SAMPLE_MARIADB_HOST, _PORT, _USER, _DATABASE
#   BACKUP_SAMPLE_MARIADB_PASSWORD, BACKUP_SAMPLE_MARIADB_PASSWORD_FILE                 the 'backup' user's password
#   BACKUP_SAMPLE_MARIADB_SCRATCH          connection string for scratch databases: Server=127.0.0.1;Port=…;User ID=root
#   BACKUP_SAMPLE_MARIADB_ROOT_PASSWORD, BACKUP_SAMPLE_MARIADB_ROOT_PASSWORD_FILE
#   BACKUP_SAMPLE_S3_ENDPOINT              http://127.0.0.1:…
#   BACKUP_SAMPLE_S3_BUCKET                backup-sample
#   BACKUP_SAMPLE_S3_LOCATION              s3://backup-sample/repository (an empty prefix: no repository there yet)
#   BACKUP_SAMPLE_S3_ACCESS_KEY_ID, BACKUP_SAMPLE_S3_SECRET_ACCESS_KEY (also as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
#   BACKUP_S3_ENDPOINT, BACKUP_S3_PATH_STYLE=true, AWS_REGION=us-east-1 (what the backup CLI reads for an s3:// location)
#   BACKUP_SAMPLE_DIR                      a scratch directory for the command, deleted afterwards
# The exit code is the command's. Needs the servers installed: scripts/install-test-servers.sh (MariaDB) and
# scripts/install-remote-test-servers.sh (s3rver), as .ci/run does.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

if [[ $# -eq 0 ]]; then
  echo "usage: bash scripts/run-with-servers.sh COMMAND [ARGUMENT...]" >&2
  exit 2
fi

mariadbd=""
for candidate in /usr/sbin/mariadbd /usr/bin/mariadbd /usr/sbin/mysqld; do
  if [[ -x $candidate ]]; then mariadbd=$candidate; break; fi
done
s3rver="${BACKUP_TEST_TOOLS:-$repo/.tools}/node_modules/.bin/s3rver"
missing=()
[[ -n $mariadbd ]] && command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null || missing+=("MariaDB (bash scripts/install-test-servers.sh)")
[[ -x $s3rver ]] || missing+=("s3rver in .tools (bash scripts/install-remote-test-servers.sh)")
if [[ ${#missing[@]} -gt 0 ]]; then
  printf 'run-with-servers: not installed: %s\n' "${missing[@]}" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/backup-servers.XXXXXX")
chmod 700 "$work"
pids=()
teardown() {
  local pid
  for pid in ${pids[@]+"${pids[@]}"}; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in ${pids[@]+"${pids[@]}"}; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port nothing listens on (the kernel's ephemeral range is avoided so a client's connection cannot take it meanwhile).
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}

# Waits until something accepts connections on the port, or the process has exited, or 60 s have passed.
wait_for_port() {
  local port=$1 pid=$2 name=$3 log=$4
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "run-with-servers: $name did not start on 127.0.0.1:$port; its log:" >&2
  tail -n 30 "$log" >&2 || true
  exit 1
}

secret() { head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 24; }

# MariaDB: a data directory of its own, no configuration files read, TCP on 127.0.0.1 only.
user=$(id -un)
mariadb_port=$(free_port)
# Its own tmpdir: a starting MariaDB removes every "#sql…" file in its tmpdir, other servers' temporary tables included.
mkdir -p "$work/mariadb/tmp"
mariadb-install-db --no-defaults --user="$user" --datadir="$work/mariadb/data" --auth-root-authentication-method=normal \
  --skip-test-db --skip-name-resolve --tmpdir="$work/mariadb/tmp" >"$work/mariadb/install.log" 2>&1 \
  || { echo "run-with-servers: mariadb-install-db failed:" >&2; tail -n 30 "$work/mariadb/install.log" >&2; exit 1; }
"$mariadbd" --no-defaults --user="$user" --datadir="$work/mariadb/data" --port="$mariadb_port" --socket="$work/mariadb/sock" \
  --bind-address=127.0.0.1 --pid-file="$work/mariadb/pid" --log-error="$work/mariadb/error.log" --tmpdir="$work/mariadb/tmp" \
  --innodb-buffer-pool-size=64M --skip-log-bin --skip-name-resolve >/dev/null 2>&1 &
pids+=($!)
wait_for_port "$mariadb_port" "${pids[-1]}" MariaDB "$work/mariadb/error.log"

backup_password=$(secret)
root_password=$(secret)
# Through the socket as root (no password yet); the passwords go on standard input, not the command line.
mariadb --no-defaults --socket="$work/mariadb/sock" -u root <<SQL
CREATE DATABASE shop;
CREATE TABLE shop.orders (id INT PRIMARY KEY AUTO_INCREMENT, customer VARCHAR(100) NOT NULL, total DECIMAL(10,2) NOT NULL, placed TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB;
INSERT INTO shop.orders (customer, total) VALUES ('Ada', 12.50), ('Grace', 99.00), ('Linus', 7.25);
CREATE USER 'backup'@'%' IDENTIFIED BY '$backup_password';
GRANT ALL PRIVILEGES ON *.* TO 'backup'@'%';
ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_password';
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '$root_password';
ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '$root_password';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL

# s3rver: objects in a directory of its own, one bucket. Its ListObjectsV2 continuation tokens need OpenSSL's legacy
# provider on Node 17+, and it opens every object's metadata when listing (hence the open-file limit), as in the tests.
s3_port=$(free_port)
mkdir -p "$work/s3"
NODE_OPTIONS=--openssl-legacy-provider /bin/sh -c 'ulimit -n $(ulimit -Hn) 2>/dev/null; exec "$0" "$@"' \
  "$s3rver" -d "$work/s3" -a 127.0.0.1 -p "$s3_port" --silent --configure-bucket backup-sample >"$work/s3.log" 2>&1 &
pids+=($!)
wait_for_port "$s3_port" "${pids[-1]}" s3rver "$work/s3.log"

mkdir -p "$work/secrets" "$work/sample"
(umask 077; printf '%s' "$backup_password" >"$work/secrets/mariadb-backup-password"; printf '%s' "$root_password" >"$work/secrets/mariadb-root-password")

export BACKUP_SAMPLE_MARIADB_HOST=127.0.0.1 BACKUP_SAMPLE_MARIADB_PORT=$mariadb_port BACKUP_SAMPLE_MARIADB_USER=backup BACKUP_SAMPLE_MARIADB_DATABASE=shop
export BACKUP_SAMPLE_MARIADB="Server=127.0.0.1;Port=$mariadb_port;User ID=backup;Database=shop"
export BACKUP_SAMPLE_MARIADB_PASSWORD=$backup_password BACKUP_SAMPLE_MARIADB_PASSWORD_FILE=$work/secrets/mariadb-backup-password
export BACKUP_SAMPLE_MARIADB_SCRATCH="Server=127.0.0.1;Port=$mariadb_port;User ID=root"
export BACKUP_SAMPLE_MARIADB_ROOT_PASSWORD=$root_password BACKUP_SAMPLE_MARIADB_ROOT_PASSWORD_FILE=$work/secrets/mariadb-root-password
export BACKUP_SAMPLE_S3_ENDPOINT="http://127.0.0.1:$s3_port" BACKUP_SAMPLE_S3_BUCKET=backup-sample BACKUP_SAMPLE_S3_LOCATION=s3://backup-sample/repository
export BACKUP_SAMPLE_S3_ACCESS_KEY_ID=S3RVER BACKUP_SAMPLE_S3_SECRET_ACCESS_KEY=S3RVER AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
export BACKUP_S3_ENDPOINT=$BACKUP_SAMPLE_S3_ENDPOINT BACKUP_S3_PATH_STYLE=true AWS_REGION=us-east-1
export BACKUP_SAMPLE_DIR=$work/sample
echo "run-with-servers: MariaDB on 127.0.0.1:$mariadb_port, s3rver on $BACKUP_SAMPLE_S3_ENDPOINT" >&2

status=0
"$@" || status=$?
exit "$status"
