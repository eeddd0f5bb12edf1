#!/usr/bin/env bash
# Install everything the test suite needs (Python dev extras; Debian's neovim for the Neovim end-to-end
# test, chromium and libkrb5-dev for the VS Code one), then run it.
set -euo pipefail
cd "$(dirname "$0")/.."

if { ! command -v nvim || ! command -v chromium || ! dpkg -s libkrb5-dev; } >/dev/null 2>&1 \
        && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim chromium libkrb5-dev >/dev/null
fi

python3 -m pip install -q -e '.[dev]'
python3 -m ruff check nd_lsp tests
python3 -m mypy
python3 -m pytest "$@"
