"""The floor under `nd-lsp check`: only read and parse every plugin file under a folder, in one process.

    python benchmarks/parse_floor.py FOLDER [FOLDER ...]

Rust, Go and Python go through tree-sitter (what the front-ends use), manifests through json. Prints
the file and line counts; run.py times the whole process, as it times `nd-lsp check`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sys
from pathlib import Path

SKIPPED = {"target", "node_modules", ".git", "vendor", "__pycache__"}


def main(folders: list[Path]) -> None:
    import tree_sitter_go
    import tree_sitter_python
    import tree_sitter_rust
    from tree_sitter import Language, Parser

    parsers = {
        ".rs": Parser(Language(tree_sitter_rust.language())),
        ".go": Parser(Language(tree_sitter_go.language())),
        ".py": Parser(Language(tree_sitter_python.language())),
    }
    files = lines = 0
    for here, dirs, names in itertools.chain.from_iterable(os.walk(folder) for folder in folders):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED and not d.startswith("."))
        for name in sorted(names):
            path = Path(here) / name
            suffix = path.suffix
            if suffix not in (".rs", ".go", ".py") and name != "manifest.json":
                continue
            text = path.read_bytes().decode("utf-8")
            if suffix in parsers:
                parsers[suffix].parse(text.encode("utf-8"))
            else:
                with contextlib.suppress(ValueError):
                    json.loads(text)
            files += 1
            lines += text.count("\n")
    print(f"{files} files, {lines} lines")


if __name__ == "__main__":
    main([Path(argument) for argument in sys.argv[1:]])
