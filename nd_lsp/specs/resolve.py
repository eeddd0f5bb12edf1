"""Choose the Navidrome version a plugin is checked against: setting > dependency > newest release.

How a dependency maps to a spec:

- a release tag (Cargo `tag = "v0.61.0"`, go.mod `v0.61.0`) names that release; a tag without a spec of its
  own (a patch release the specs skip, a release newer than nd-lsp) gets the newest release at or before it,
  a tag older than every spec gets the oldest one;
- a commit (Cargo `rev`, the hash of a go.mod pseudo-version) names the spec generated from that commit; an
  unknown commit of Cargo gets the newest release (nd-lsp cannot date a bare hash without Navidrome's
  history), an unknown commit of a pseudo-version gets the first release made on or after its day: the API
  only grows, so that release has everything the pinned PDK has (the release before it would report the
  newer API the plugin compiles against as missing); a commit newer than every release is development
  code, checked against master;
- a branch follows development, so it gets master; so does a local path (Cargo `path =`, go.mod
  `replace => ../pdk/go`), which is a Navidrome checkout, usually of master.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from nd_lsp.frontends.facts import BuildFacts, Dependency
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.specs import loader
from nd_lsp.specs.loader import (
    MASTER,
    UnknownVersionError,
    available_versions,
    load_spec,
    newest_release,
    normalize_version,
    released_versions,
    version_key,
)
from nd_lsp.specs.model import NavidromeRelease

NEWEST_RELEASE = "newest release"
MIN_COMMIT_PREFIX = 7  # shorter hashes match too many commits to mean anything
# Regular expressions as text, compiled on first use (re caches them): a check compiles only those it needs.
_RELEASE = r"^v?(\d+)\.(\d+)\.(\d+)$"
# Go pseudo-versions: vX.0.0-yyyymmddhhmmss-hash, vX.Y.Z-pre.0.yyyymmddhhmmss-hash, vX.Y.(Z+1)-0.yyyymmddhhmmss-hash
_PSEUDO_VERSION = r"^v\d+\.\d+\.\d+-(?:[\w.]*\.)?(\d{14})-([0-9a-f]{12})$"


@frozen_dataclass
class Resolution:
    """The Navidrome version a plugin is checked against, and where it came from."""

    version: str
    source: str  # for messages: "setting", "Cargo.toml nd-pdk tag v0.61.0", "newest release"


@functools.cache
def release_info(version: str) -> NavidromeRelease:
    """Tag, commit and date of one spec, read without building the whole spec model."""
    name = normalize_version(version)
    if name not in available_versions():
        raise UnknownVersionError(version, available_versions())
    path = loader.spec_dir() / f"{name}.json"  # the same folder load_spec reads
    raw = _release_header(path)
    return NavidromeRelease(
        version=str(raw.get("version", name)),
        tag=str(raw.get("tag", "")),
        commit=str(raw.get("commit", "")),
        date=str(raw.get("date", "")),
    )


def _release_header(path: Path) -> dict[str, object]:
    """The `navidrome` object of a spec file. The generator writes it at the top, one space in (so a
    top-level key: JSON strings hold no line breaks): decoding just that spares reading and parsing the
    ~200 KB of every release a commit is looked up in. Any other layout is parsed whole."""
    with path.open(encoding="utf-8") as file:
        head = file.read(_HEADER_WITHIN)
    found = re.search(r'\n "navidrome": (?=\{)', head)
    if found is not None:
        try:
            header, _ = json.JSONDecoder().raw_decode(head, found.end())
        except ValueError:  # cut off by the end of the head, or another layout
            header = None
        if isinstance(header, dict):
            return header
    whole = json.loads(path.read_text(encoding="utf-8")).get("navidrome", {})
    return whole if isinstance(whole, dict) else {}


_HEADER_WITHIN = 4096  # characters from the start of a spec file where its header is looked for


def resolve_version(explicit: str | None, cargo: BuildFacts | None, gomod: BuildFacts | None) -> tuple[str, str]:
    """(version, where it came from). Raises UnknownVersionError for an explicit unknown version."""
    if explicit:
        resolution = _from_setting(explicit)
    else:
        resolution = _from_cargo(cargo) or _from_gomod(gomod) or Resolution(newest_release(), NEWEST_RELEASE)
    return resolution.version, resolution.source


def _from_setting(explicit: str) -> Resolution:
    name = normalize_version(explicit)
    if name in available_versions():
        return Resolution(name, "setting")
    nearest = _release_at_or_before(name) if re.match(_RELEASE, name) else None
    releases = released_versions()
    if nearest is None or version_key(name) > version_key(releases[-1]):
        # A typo or a release newer than nd-lsp: guessing would check against the wrong API.
        raise UnknownVersionError(explicit, available_versions())
    return Resolution(nearest, f"setting {name}, which has the plugin API of {nearest}")


def _from_cargo(cargo: BuildFacts | None) -> Resolution | None:
    if cargo is None:
        return None
    dependency = _pdk_dependency(cargo, _rust_crate_names())
    if dependency is None:
        return None
    where = f"{cargo.path.name} {dependency.name}"
    if dependency.path:
        return Resolution(MASTER, f"{where} path {dependency.path}")
    if dependency.tag:
        return _from_tag(dependency.tag, f"{where} tag {dependency.tag}")
    if dependency.rev:
        return _from_commit(dependency.rev, f"{where} rev {dependency.rev}")
    if dependency.branch or dependency.git:
        # A git dependency without tag or rev follows the default branch, which is master.
        branch = dependency.branch or "default branch"
        return Resolution(MASTER, f"{where} branch {branch}")
    return None  # a registry version says nothing about Navidrome's releases


def _from_gomod(gomod: BuildFacts | None) -> Resolution | None:
    if gomod is None:
        return None
    modules = _go_module_names()
    dependency = _pdk_dependency(gomod, modules)
    if dependency is None:
        return None
    where = f"{gomod.path.name} {_short_module(dependency.name)}"
    if dependency.path:
        return Resolution(MASTER, f"{where} replaced by {dependency.path}")
    version = dependency.version.removesuffix("+incompatible")
    pseudo = re.match(_PSEUDO_VERSION, version)
    if pseudo:
        return _from_pseudo_version(pseudo.group(1), pseudo.group(2), f"{where} {version}")
    if re.match(_RELEASE, version) and version_key(version.lstrip("v")) > (0, 0, 0):
        return _from_tag(version, f"{where} {version}")
    return None  # v0.0.0 without a replace: nothing to infer


def _from_tag(tag: str, source: str) -> Resolution:
    # Go tags of a nested module carry its folder: plugins/pdk/go/v0.61.0.
    name = normalize_version(tag.rsplit("/", 1)[-1])
    if name in available_versions():
        return Resolution(name, source)
    if not re.match(_RELEASE, name):
        return Resolution(newest_release(), f"{source} (not a release; using the {NEWEST_RELEASE})")
    nearest = _release_at_or_before(name)
    if nearest is None:
        return Resolution(released_versions()[0], f"{source} (older than every spec)")
    return Resolution(nearest, source)


def _from_commit(commit: str, source: str) -> Resolution:
    version = _version_of_commit(commit)
    if version is not None:
        return Resolution(version, source)
    return Resolution(newest_release(), f"{source} (unknown commit; using the {NEWEST_RELEASE})")


def _from_pseudo_version(timestamp: str, commit: str, source: str) -> Resolution:
    version = _version_of_commit(commit)
    if version is not None:
        return Resolution(version, source)
    day = f"{timestamp[:4]}-{timestamp[4:6]}-{timestamp[6:8]}"
    later = [v for v in released_versions() if release_info(v).date and release_info(v).date >= day]
    if not later:
        return Resolution(MASTER, f"{source} (newer than every release)")
    return Resolution(later[0], source)


def _version_of_commit(commit: str) -> str | None:
    commit = commit.strip().lower()
    if len(commit) < MIN_COMMIT_PREFIX:
        return None
    for version in reversed(available_versions()):
        known = release_info(version).commit.lower()
        if known and (known.startswith(commit) or commit.startswith(known)):
            return version
    return None


def _release_at_or_before(version: str) -> str | None:
    earlier = [v for v in released_versions() if version_key(v) <= version_key(version)]
    return earlier[-1] if earlier else None


def _pdk_dependency(build: BuildFacts, names: frozenset[str]) -> Dependency | None:
    return next((d for name in sorted(names) if (d := build.dependency(name)) is not None), None)


def _layout_spec() -> str:
    """The spec whose PDK layout names the dependency: the newest release (master when there is none).

    The crate and module names have not changed since the PDK appeared; the newest release is the spec a
    check loads most often, so reading its layout costs nothing extra.
    """
    return newest_release() if released_versions() else MASTER


def _rust_crate_names() -> frozenset[str]:
    return frozenset(filter(None, [load_spec(_layout_spec()).layout.rust_crate]))


def _go_module_names() -> frozenset[str]:
    return frozenset(filter(None, [load_spec(_layout_spec()).layout.go_module]))


def _short_module(module: str) -> str:
    """`github.com/<owner>/<repo>/a/b` -> `a/b`: the part of the path a reader recognises."""
    parts = module.split("/")
    return "/".join(parts[3:]) if len(parts) > 3 else module
