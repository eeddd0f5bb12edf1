#!/usr/bin/env bash
# Install everything the test suite needs (Python dev extras, Debian's neovim), then run it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvim >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim >/dev/null
fi

python3 -m pip install -q -e '.[dev]'
python3 -m ruff check nd_lsp tests
python3 -m mypy
python3 -m pytest "$@"
