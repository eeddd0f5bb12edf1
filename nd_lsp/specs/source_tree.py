"""Read a Navidrome checkout as files: from a work tree folder or from a git dir at a ref."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol


class SourceError(RuntimeError):
    """The Navidrome source cannot be read (missing folder, unknown ref, git failure)."""


@dataclass(frozen=True)
class Revision:
    """Which commit a source tree shows."""

    commit: str = ""
    date: str = ""  # commit date, YYYY-MM-DD
    tag: str = ""  # a tag naming exactly this commit, e.g. "v0.63.2"


class SourceTree(Protocol):
    """Files of one Navidrome revision, addressed by repository-relative POSIX paths."""

    def read_text(self, path: str) -> str | None:
        """The file's text, or None when the file does not exist."""

    def list_dir(self, path: str) -> tuple[str, ...]:
        """Names of the files (not folders) directly inside `path`, sorted; empty when absent."""

    def list_folders(self, path: str) -> tuple[str, ...]:
        """Names of the folders directly inside `path`, sorted."""

    def revision(self) -> Revision:
        """The commit shown, when known."""


def _git(git_dir: Path, *args: str) -> str:
    # List form, no shell: refs and paths come from the command line.
    try:
        done = subprocess.run(
            ["git", "--git-dir", str(git_dir), *args],
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise SourceError(f"cannot run git: {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise SourceError(f"git {' '.join(args)}: {message}")
    return done.stdout.decode("utf-8")


def _tag_of(git_dir: Path, ref: str, commit: str) -> str:
    # The ref itself when it is a tag, else any tag on the commit (none on an untagged master).
    try:
        _git(git_dir, "rev-parse", "--verify", "--quiet", f"refs/tags/{ref}")
        return ref
    except SourceError:
        pass
    try:
        return _git(git_dir, "describe", "--tags", "--exact-match", commit).strip()
    except SourceError:
        return ""


def _revision_of(git_dir: Path, ref: str) -> Revision:
    commit = _git(git_dir, "rev-parse", "--verify", f"{ref}^{{commit}}").strip()
    date = _git(git_dir, "log", "-1", "--format=%cs", commit).strip()
    return Revision(commit=commit, date=date, tag=_tag_of(git_dir, ref, commit))


@dataclass
class GitTree:
    """A bare (or any) git dir read at one ref with `git show` / `git ls-tree`."""

    git_dir: Path
    ref: str
    _files: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _cache: dict[str, str | None] = field(default_factory=dict, repr=False)
    _revision: Revision = field(default_factory=Revision, repr=False)

    def __post_init__(self) -> None:
        self._revision = _revision_of(self.git_dir, self.ref)
        listing = _git(self.git_dir, "ls-tree", "-r", "--name-only", self._revision.commit)
        folders: dict[str, list[str]] = {}
        for line in listing.splitlines():
            path = PurePosixPath(line)
            folders.setdefault(str(path.parent), []).append(path.name)
        self._files = {folder: tuple(sorted(names)) for folder, names in folders.items()}

    def read_text(self, path: str) -> str | None:
        if path not in self._cache:
            folder = PurePosixPath(path)
            if folder.name not in self._files.get(str(folder.parent), ()):
                self._cache[path] = None
            else:
                self._cache[path] = _git(self.git_dir, "show", f"{self._revision.commit}:{path}")
        return self._cache[path]

    def list_dir(self, path: str) -> tuple[str, ...]:
        return self._files.get(path.rstrip("/"), ())

    def list_folders(self, path: str) -> tuple[str, ...]:
        parent = PurePosixPath(path.rstrip("/"))
        names = {
            PurePosixPath(folder).relative_to(parent).parts[0]
            for folder in self._files
            if PurePosixPath(folder).is_relative_to(parent) and PurePosixPath(folder) != parent
        }
        return tuple(sorted(names))

    def revision(self) -> Revision:
        return self._revision


@dataclass
class WorkTree:
    """A checked-out folder; its revision is read from git when the folder is a work tree."""

    root: Path

    def __post_init__(self) -> None:
        if not self.root.is_dir():
            raise SourceError(f"{self.root} is not a folder")

    def read_text(self, path: str) -> str | None:
        target = self.root / path
        return target.read_text(encoding="utf-8") if target.is_file() else None

    def list_dir(self, path: str) -> tuple[str, ...]:
        folder = self.root / path
        if not folder.is_dir():
            return ()
        return tuple(sorted(p.name for p in folder.iterdir() if p.is_file()))

    def list_folders(self, path: str) -> tuple[str, ...]:
        folder = self.root / path
        if not folder.is_dir():
            return ()
        return tuple(sorted(p.name for p in folder.iterdir() if p.is_dir()))

    def revision(self) -> Revision:
        git_dir = self.root / ".git"
        if not git_dir.exists():
            return Revision()
        try:
            return _revision_of(git_dir, "HEAD")
        except SourceError:
            return Revision()


def open_source(path: Path, ref: str | None) -> SourceTree:
    """A work tree when no ref is given, else the git dir (or the work tree's .git) at `ref`."""
    if ref is None:
        return WorkTree(path)
    git_dir = path / ".git" if (path / ".git").is_dir() else path
    return GitTree(git_dir, ref)
