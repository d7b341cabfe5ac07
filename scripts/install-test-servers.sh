#!/usr/bin/env bash
# Installs the database servers and client tools the provider tests need, the SMTP server the email alert tests
# need (python3-aiosmtpd), setfacl (acl) for the POSIX ACL round trip of the file tests, btrfs-progs for their
# real disk quota (a btrfs quota group on a loop device), e2fsprogs for a small ext4 written with direct I/O, and headless Chromium (chromium) that renders the
# disaster-recovery HTML report in its test, and strace (a failed fsync caused for real in the CLI tests), on Debian/Ubuntu,
# without starting them:
# the tests start their own throwaway servers on free ports in temporary directories.
# Idempotent: re-running it on a machine that has everything installs nothing.
set -euo pipefail

packages=(postgresql postgresql-contrib postgresql-client mariadb-server mariadb-client python3-aiosmtpd acl btrfs-progs e2fsprogs chromium strace)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-test-servers: all present (${packages[*]})"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi

# Keep the packages' services from starting (and Debian from creating the 'main' PostgreSQL cluster): a
# policy-rc.d that denies every start, removed again afterwards unless one was already there.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  own_policy=1
fi
trap 'if [[ $own_policy -eq 1 ]]; then $sudo rm -f "$policy"; fi' EXIT
$sudo mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/no-main-cluster.conf >/dev/null

$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Belt and braces on systemd machines: keep them from starting at boot either.
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  $sudo systemctl disable --now postgresql mariadb >/dev/null 2>&1 || true
fi
echo "install-test-servers: installed ${missing[*]}"
