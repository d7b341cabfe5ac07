#!/usr/bin/env bash
# Runs the sample once against the throwaway servers scripts/run-with-servers.sh started: its BACKUP_SAMPLE_*
# variables override the addresses and secret files in appsettings.json the way a deployment's environment would
# (ASP.NET Core configuration: Backup__Section__Key). Usage: bash scripts/run-with-servers.sh bash samples/MariaDbToS3/run-local.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${BACKUP_SAMPLE_MARIADB:?run this through scripts/run-with-servers.sh}"
export BACKUP_PASSWORD=${BACKUP_PASSWORD:-mariadb-to-s3-sample}
export Backup__Repositories__main__Location=$BACKUP_SAMPLE_S3_LOCATION
export Backup__Repositories__main__Settings__Endpoint=$BACKUP_SAMPLE_S3_ENDPOINT
export Backup__Sources__shop__ConnectionString=$BACKUP_SAMPLE_MARIADB
export Backup__Sources__shop__PasswordFile=$BACKUP_SAMPLE_MARIADB_PASSWORD_FILE
export Backup__Jobs__shop__Verification__ScratchConnectionString=$BACKUP_SAMPLE_MARIADB_SCRATCH
export Backup__Jobs__shop__Verification__ScratchPasswordFile=$BACKUP_SAMPLE_MARIADB_ROOT_PASSWORD_FILE
exec dotnet run --project samples/MariaDbToS3 -c Release --no-build -- --once "$@"
