"""Find plugin roots and the source files that belong to each plugin."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from nd_lsp.frontends.facts import Language, PluginFacts

SKIPPED_DIRS = frozenset({"target", "node_modules", ".git", "vendor", "__pycache__", "venv", "dist", "build"})
MANIFEST = "manifest.json"
LANGUAGE_BY_SUFFIX: dict[str, Language] = {".rs": "rust", ".go": "go", ".py": "python"}
ROOT_MARKERS = (MANIFEST, "Cargo.toml", "go.mod")
PYTHON_TEST_FOLDERS = frozenset({"tests", "test"})

# Called with a folder the walk could not enter and the reason.
WalkErrorHandler = Callable[[Path, str], None]


def language_of(path: Path) -> Language | None:
    if path.name == MANIFEST:
        return "manifest"
    return LANGUAGE_BY_SUFFIX.get(path.suffix)


def _skipped(name: str) -> bool:
    return name in SKIPPED_DIRS or name.startswith(".")


def walk_files(
    root: Path, *, stop_at_nested_roots: bool = True, on_error: WalkErrorHandler | None = None
) -> Iterator[Path]:
    """Files under root, skipping build/vendor/hidden folders and (optionally) nested plugin roots.

    Symlinked folders are not followed, so a symlink loop cannot trap the walk. Folders that cannot be
    listed are passed to `on_error` (and skipped).
    """

    def report(error: OSError) -> None:
        if on_error is not None:
            on_error(Path(error.filename or root), f"cannot list folder: {error.strerror or error}")

    for folder, dirs, files in os.walk(root, followlinks=False, onerror=report):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not _skipped(d) and not (stop_at_nested_roots and is_plugin_root(here / d)))
        for name in sorted(files):
            yield here / name


def plugin_source_files(root: Path) -> list[tuple[Path, Language]]:
    """The Rust, Go and Python sources of the plugin at root (see `is_plugin_source`)."""
    found: list[tuple[Path, Language]] = []
    for path in walk_files(root):
        language = language_of(path)
        if language is not None and is_plugin_source(root, path, language):
            found.append((path, language))
    return found


def is_plugin_source(root: Path, path: Path, language: Language) -> bool:
    """Whether a source file is compiled into the plugin: Rust under src/, Go but not _test.go, and
    Python but not its tests (pytest runs them on the author's machine, never in the sandbox)."""
    if language == "manifest":
        return False
    if language == "rust":
        return "src" in path.relative_to(root).parts
    if language == "go":
        return not path.name.endswith("_test.go")
    return not _is_python_test(path.relative_to(root))


def drop_python_outside_entry_package(plugin: PluginFacts) -> None:
    """Forget Python files outside the folder of the file(s) defining the exports.

    extism-py compiles that one entry file, which finds the plugin's own modules beside or below it,
    so a `scripts/package.py` or `build.py` next to a `plugin/` package is a tool of the author's,
    not plugin code. While no file exports anything yet, every file is kept.
    """
    python = [path for path, facts in plugin.files.items() if facts.language == "python"]
    entry_folders = {e.span.path.parent for e in plugin.exports() if e.language == "python"}
    if not entry_folders:
        return
    for path in python:
        if not any(folder == path.parent or folder in path.parents for folder in entry_folders):
            del plugin.files[path]


def _is_python_test(relative: Path) -> bool:
    name = relative.name
    in_test_folder = any(part in PYTHON_TEST_FOLDERS for part in relative.parts[:-1])
    return in_test_folder or name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")


def is_plugin_root(folder: Path) -> bool:
    """A folder with a manifest, a go.mod, or a Cargo.toml of a crate (not of a bare workspace)."""
    if (folder / MANIFEST).is_file() or (folder / "go.mod").is_file():
        return True
    cargo = folder / "Cargo.toml"
    return cargo.is_file() and not _is_virtual_workspace(cargo)


def _is_virtual_workspace(cargo: Path) -> bool:
    """A Cargo.toml with [workspace] and no [package] only groups crates; its members are the plugins."""
    # Imported here: Go and Python plugins have no Cargo.toml, and tomllib costs ~3 ms to import.
    from nd_lsp.toml_reader import tomllib

    try:
        data = tomllib.loads(cargo.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # unreadable: treat it as a plugin, whose check reports the problem
    return "workspace" in data and "package" not in data


def plugin_root_for(path: Path) -> Path:
    """The plugin a file belongs to: the nearest folder upwards with a manifest, Cargo.toml or go.mod."""
    start = path if path.is_dir() else path.parent
    for folder in (start, *start.parents):
        if is_plugin_root(folder):
            return folder
    return start


def find_plugin_roots(paths: Iterable[Path], *, on_error: WalkErrorHandler | None = None) -> list[Path]:
    """Plugin roots under the given paths (a file stands for its plugin).

    A folder without any plugin root but with sources is checked as one plugin, so a plugin missing its
    manifest still gets its findings (and the missing-manifest one).
    """
    roots: list[Path] = []
    for path in paths:
        if path.is_file():
            candidates = [plugin_root_for(path)]
        else:
            files = list(walk_files(path, stop_at_nested_roots=False, on_error=on_error))
            marked = sorted({f.parent for f in files if f.name in ROOT_MARKERS})
            candidates = [folder for folder in marked if is_plugin_root(folder)]
            if not candidates and any(language_of(f) for f in files):
                candidates = [path]
        for root in candidates:
            if root not in roots:
                roots.append(root)
    return sorted(roots)
