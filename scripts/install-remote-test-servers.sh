#!/usr/bin/env bash
# Installs the servers tests/Backup.Providers.Targets.Tests starts on 127.0.0.1. Idempotent; pinned versions.
#   - OpenSSH sshd (Debian package openssh-server) for SftpTarget
#   - Azurite (npm) for AzureBlobTarget
#   - s3rver (npm) for S3Target
# npm packages go into .tools/node_modules (git-ignored). Under CI=true the tests fail, rather than skip, when a
# server is missing, so CI must run this first.
set -euo pipefail
cd "$(dirname "$0")/.."

AZURITE_VERSION=3.37.0
S3RVER_VERSION=3.7.1

if [ ! -x /usr/sbin/sshd ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q openssh-server
fi

need_npm=0
[ -x .tools/node_modules/.bin/azurite-blob ] && grep -q "\"version\": \"$AZURITE_VERSION\"" .tools/node_modules/azurite/package.json || need_npm=1
[ -x .tools/node_modules/.bin/s3rver ] && grep -q "\"version\": \"$S3RVER_VERSION\"" .tools/node_modules/s3rver/package.json || need_npm=1
if [ "$need_npm" = 1 ]; then
  mkdir -p .tools
  npm install --no-audit --no-fund --loglevel=error --prefix .tools "azurite@$AZURITE_VERSION" "s3rver@$S3RVER_VERSION"
fi

echo "sshd: $(/usr/sbin/sshd -V 2>&1 | head -1 || true)"
echo "azurite: $AZURITE_VERSION, s3rver: $S3RVER_VERSION in $(pwd)/.tools"
