#!/usr/bin/env bash
# Installs workerd (Cloudflare's open-source Workers runtime) from the npm registry into the project-local folder
# .tools/workerd (gitignored) and prints the binary's path on stdout. Nothing else is downloaded.
#   scripts/install-workerd.sh              # the pinned version below
#   WORKERD_VERSION=1.2026xxxx.x scripts/install-workerd.sh
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,5{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
  "") ;;
  *) echo "install-workerd.sh: takes no arguments (got '$1'; try --help)" >&2; exit 2 ;;
esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSION=${WORKERD_VERSION:-1.20261117.1}
PREFIX="$ROOT/.tools/workerd"
BIN="$PREFIX/node_modules/@cloudflare/workerd-linux-64/bin/workerd"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "install-workerd: only linux x86_64 is wired up (got $(uname -s)-$(uname -m))" >&2; exit 1 ;;
esac

installed_version() {
  sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$PREFIX/node_modules/@cloudflare/workerd-linux-64/package.json" 2>/dev/null | head -1
}

if [ -x "$BIN" ] && [ "$(installed_version)" = "$VERSION" ]; then
  echo "$BIN"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-workerd: npm is required (Debian: apt-get install npm)" >&2
  exit 1
fi
mkdir -p "$PREFIX"
echo "install-workerd: npm install @cloudflare/workerd-linux-64@$VERSION into $PREFIX" >&2
npm install --prefix "$PREFIX" --no-save --no-audit --no-fund --loglevel=error \
  "@cloudflare/workerd-linux-64@$VERSION" >&2
if [ ! -x "$BIN" ]; then
  chmod +x "$BIN" 2>/dev/null || true
fi
if [ ! -x "$BIN" ]; then
  echo "install-workerd: $BIN is missing after npm install" >&2
  exit 1
fi
"$BIN" --version >&2
echo "$BIN"
