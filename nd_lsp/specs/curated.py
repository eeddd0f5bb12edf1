"""Curated facts (capability_specs/curated.toml): load them, check their evidence, merge them into a spec."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from nd_lsp.specs.go_source import string_literals
from nd_lsp.specs.loader import MASTER, normalize_version, version_key
from nd_lsp.specs.model import (
    CapabilityPermission,
    Constraint,
    CronGrammar,
    HostFunction,
    HostService,
    PermissionDependency,
    PermissionExport,
    PermissionUse,
    RuntimeFact,
    Spec,
)
from nd_lsp.specs.source_tree import SourceTree
from nd_lsp.toml_reader import tomllib

T = TypeVar("T")

CURATED_FILE = "curated.toml"
MANIFEST_RULES_FILE = "plugins/manifest.go"
# Literals of Manifest.Validate / ValidateWithCapabilities that state a permission rule.
_RULE_LITERAL = re.compile(r"\b(?:permission|capability) requires\b")
_SPACES = re.compile(r"\s+")
_VERSION_CLAUSE = re.compile(r"^(>=|<=|>|<|==)?\s*(\S+)$")
# Entry keys that are about the entry itself, not about the fact it states.
_META_KEYS = frozenset({"versions", "evidence", "absent", "service", "functions"})


class CuratedFactError(ValueError):
    """A curated fact that the Navidrome source at a release does not back up."""


@dataclass(frozen=True)
class CuratedEntry:
    table: str  # the TOML array it comes from, e.g. "permission_dependencies"
    values: Mapping[str, Any]

    @property
    def source(self) -> str:
        return str(self.values.get("source", ""))

    def fact_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.values.items() if k not in _META_KEYS}

    def describe(self) -> str:
        return f"[[{self.table}]] " + ", ".join(f"{k}={v!r}" for k, v in self.fact_fields().items() if k != "source")


@dataclass(frozen=True)
class CuratedFacts:
    entries: tuple[CuratedEntry, ...]

    def active(self, version: str) -> list[CuratedEntry]:
        return [e for e in self.entries if versions_match(e.values.get("versions", "all"), version)]


def load_curated(path: Path | None = None) -> CuratedFacts:
    """The curated facts shipped with nd-lsp, or those of `path`."""
    if path is None:
        text = resources.files("nd_lsp.capability_specs").joinpath(CURATED_FILE).read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    document = tomllib.loads(text)
    entries = [
        CuratedEntry(table, row)
        for table, rows in document.items()
        if isinstance(rows, list)
        for row in rows
        if isinstance(row, dict)
    ]
    return CuratedFacts(tuple(entries))


def _clause_matches(clause: str, version: str) -> bool:
    clause = clause.strip()
    if clause == "all":
        return True
    match = _VERSION_CLAUSE.match(clause)
    if match is None:
        raise CuratedFactError(f"unreadable version clause {clause!r}")
    operator, bound = match.group(1) or "==", normalize_version(match.group(2))
    if not operator.startswith(("<", ">")) and (bound == MASTER or version == MASTER):
        return bound == version
    left, right = version_key(version), version_key(bound)
    return {
        ">=": left >= right,
        "<=": left <= right,
        ">": left > right,
        "<": left < right,
        "==": left == right,
    }[operator]


def versions_match(versions: str | Sequence[str], version: str) -> bool:
    """`versions` is "all", "master", ">=0.61.0", "<0.63.0,>=0.61.0" (all clauses) or a list (any)."""
    if isinstance(versions, str):
        return all(_clause_matches(c, version) for c in versions.split(","))
    return any(versions_match(v, version) for v in versions)


# --- evidence ----------------------------------------------------------------------------------


def _squashed(text: str) -> str:
    return _SPACES.sub(" ", text)


def _file_text(entry: CuratedEntry, path: str, source: SourceTree, version: str) -> str:
    text = source.read_text(path) if path else None
    if text is None:
        raise CuratedFactError(f"Navidrome {version}: {entry.describe()}: source file {path!r} is missing")
    return _squashed(text)


def _snippets(entry: CuratedEntry, key: str) -> Iterable[tuple[str, str]]:
    """(file, snippet) pairs; a plain string is looked for in the entry's own source file."""
    for item in entry.values.get(key, []):
        if isinstance(item, dict):
            yield str(item["file"]), str(item["text"])
        else:
            yield entry.source, str(item)


def verify_evidence(entry: CuratedEntry, source: SourceTree, version: str) -> None:
    """Each `evidence` snippet must appear in its file (whitespace-insensitive), each `absent` one must not."""
    _file_text(entry, entry.source, source, version)
    for path, snippet in _snippets(entry, "evidence"):
        if _squashed(snippet) not in _file_text(entry, path, source, version):
            raise CuratedFactError(f"Navidrome {version}: {entry.describe()}: {path} lacks {snippet!r}")
    for path, snippet in _snippets(entry, "absent"):
        if _squashed(snippet) in _file_text(entry, path, source, version):
            raise CuratedFactError(f"Navidrome {version}: {entry.describe()}: {path} has {snippet!r}")


def check_manifest_rules(spec: Spec, source: SourceTree) -> None:
    """Every permission rule Navidrome states in manifest.go must be a curated fact of this release."""
    text = source.read_text(MANIFEST_RULES_FILE)
    if text is None:
        return
    messages = [d.message for d in spec.permission_dependencies] + [c.message for c in spec.capability_permissions]
    exports = {e.message: e.export for e in spec.permission_exports}
    for literal in string_literals(text):
        if not _RULE_LITERAL.search(literal):
            continue
        covered = literal in messages or any(literal.replace("%s", x) == m for m, x in exports.items())
        if not covered:
            raise CuratedFactError(
                f"Navidrome {spec.version}: {MANIFEST_RULES_FILE} states {literal!r}, "
                f"which no curated fact of this release covers"
            )


# --- merging ---------------------------------------------------------------------------------


def _check_names(spec: Spec, entry: CuratedEntry) -> None:
    values = entry.values
    permissions = set(spec.permission_keys())
    for key in ("permission", "requires"):
        if key in values and values[key] not in permissions:
            raise CuratedFactError(f"Navidrome {spec.version}: {entry.describe()}: no permission {values[key]!r}")
    if "capability" in values and spec.capability(values["capability"]) is None:
        raise CuratedFactError(f"Navidrome {spec.version}: {entry.describe()}: no capability")
    if "export" in values and values["export"] not in spec.all_exports():
        raise CuratedFactError(f"Navidrome {spec.version}: {entry.describe()}: no such export")
    used_by = str(values.get("used_by", ""))
    if used_by.startswith("host_service:") and spec.host_service(used_by.split(":", 1)[1]) is None:
        raise CuratedFactError(f"Navidrome {spec.version}: {entry.describe()}: no such host service")


def _functions_for(service: HostService, entry: CuratedEntry) -> list[HostFunction]:
    wanted = entry.values.get("functions", "*")
    head = str(entry.values["param"]).split(".", 1)[0]
    if wanted == "*":
        return [f for f in service.functions if f.param(head) is not None]
    found = [f for f in service.functions if f.name in wanted]
    missing = set(wanted) - {f.name for f in found} | {f.name for f in found if f.param(head) is None}
    if missing:
        raise CuratedFactError(f"{entry.describe()}: {service.name} has no {', '.join(sorted(missing))} with {head}")
    return found


def _merge_constraints(spec: Spec, entries: Iterable[CuratedEntry]) -> tuple[HostService, ...]:
    added: dict[tuple[str, str], list[Constraint]] = {}
    for entry in entries:
        service = spec.host_service(str(entry.values["service"]))
        if service is None:
            raise CuratedFactError(f"Navidrome {spec.version}: {entry.describe()}: no such host service")
        for func in _functions_for(service, entry):
            added.setdefault((service.name, func.name), []).append(Constraint(**entry.fact_fields()))
    services = []
    for service in spec.host_services:
        functions = [
            dataclasses.replace(func, constraints=_merged(func.constraints, added.get((service.name, func.name), [])))
            for func in service.functions
        ]
        services.append(dataclasses.replace(service, functions=tuple(functions)))
    return tuple(services)


def _merged(known: tuple[Constraint, ...], curated: list[Constraint]) -> tuple[Constraint, ...]:
    """Doc-comment constraints, then curated ones; the first fact about a (param, kind, value) wins.

    A curated entry that repeats a doc-comment fact still lends it its rule code.
    """
    merged = {(c.param, c.kind, c.value): c for c in known}
    for constraint in curated:
        key = (constraint.param, constraint.kind, constraint.value)
        if key not in merged:
            merged[key] = constraint
        elif constraint.rule and not merged[key].rule:
            merged[key] = dataclasses.replace(merged[key], rule=constraint.rule)
    return tuple(merged.values())


_TABLES = frozenset(
    {"permission_dependencies", "capability_permissions", "permission_exports", "permission_uses"}
    | {"runtime_facts", "constraints", "cron"}
)


def _facts(active: Iterable[CuratedEntry], table: str, cls: type[T]) -> tuple[T, ...]:
    return tuple(cls(**e.fact_fields()) for e in active if e.table == table)


def apply_curated(spec: Spec, curated: CuratedFacts, source: SourceTree) -> Spec:
    """The spec with every curated fact of its release, each one checked against the source."""
    active = curated.active(spec.version)
    unknown = {e.table for e in active} - _TABLES
    if unknown:
        raise CuratedFactError(f"unknown curated tables: {', '.join(sorted(unknown))}")
    for entry in active:
        verify_evidence(entry, source, spec.version)
        _check_names(spec, entry)
    crons = _facts(active, "cron", CronGrammar)
    if len(crons) != 1:
        raise CuratedFactError(f"Navidrome {spec.version}: {len(crons)} curated cron grammars apply, expected 1")
    merged = dataclasses.replace(
        spec,
        host_services=_merge_constraints(spec, (e for e in active if e.table == "constraints")),
        permission_dependencies=_facts(active, "permission_dependencies", PermissionDependency),
        capability_permissions=_facts(active, "capability_permissions", CapabilityPermission),
        permission_exports=_facts(active, "permission_exports", PermissionExport),
        permission_uses=_facts(active, "permission_uses", PermissionUse),
        runtime_facts=_facts(active, "runtime_facts", RuntimeFact),
        cron=crons[0],
    )
    check_manifest_rules(merged, source)
    return merged
