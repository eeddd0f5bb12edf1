#!/usr/bin/env bash
# Installs the end-to-end test's tools inside this folder: Node 24 (node24/, from npm's `node` package),
# then code-server and playwright-core with that Node (code-server's native modules are built for it).
# Needs Debian's libkrb5-dev (and a C++ compiler) for code-server's native modules, and network access
# to the npm registry. Skips an install whose lockfile has not changed since the last one.
set -euo pipefail
cd "$(dirname "$0")"
cache="$(cd .. && pwd)/.cache/npm"

install_once() {  # DIR [npm args...]: npm ci in DIR unless its lockfile is the one installed last time
    local dir="$1"
    shift
    local stamp="$dir/node_modules/.nd-lsp-installed" lock
    lock="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock" ]; then
        return 0
    fi
    (cd "$dir" && npm ci --cache "$cache" --no-audit --no-fund "$@")
    echo "$lock" > "$stamp"
}

install_once node24
# The `node` package puts Node's own distribution (bin/, include/ for node-gyp) in a per-platform package.
node24_home="$(node24/node_modules/.bin/node -p '
    const path = require("path");
    const platformPackage = `node-${process.platform}-${process.arch}/package.json`;
    path.dirname(require.resolve(platformPackage, { paths: [path.resolve("node24/node_modules/node")] }));
')"
if [ ! -f "$node24_home/include/node/node.h" ]; then
    echo "install.sh: no Node 24 headers under $node24_home" >&2
    exit 1
fi
# npm runs on the first `node` of PATH; code-server's install script insists on Node 24, and node-gyp takes
# that Node's headers from npm_config_nodedir instead of downloading them.
PATH="$node24_home/bin:$PATH" npm_config_nodedir="$node24_home" install_once .
