"""The analysis engine: read a plugin through the front-ends, run the rules, filter the findings.

Both faces use it: `nd-lsp check` once per plugin, the language server on every edit. File facts are
cached by content, so re-checking after an edit re-reads only the file that changed.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nd_lsp.check.discovery import MANIFEST, drop_python_outside_entry_package, plugin_source_files
from nd_lsp.config import Settings
from nd_lsp.frontends.facts import BuildFacts, FileFacts, Language, ManifestFacts, PluginFacts
from nd_lsp.frontends.suppressions import find_suppressions, is_suppressed
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.lazy_log import LazyLogger
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding
from nd_lsp.rules.registry import all_rules
from nd_lsp.specs.loader import load_spec
from nd_lsp.specs.model import PdkLayout, Spec
from nd_lsp.specs.resolve import resolve_version

log = LazyLogger(__name__)

MAX_FILE_BYTES = 2_000_000  # larger sources are reported, not analysed
TOO_LARGE = f"file is larger than {MAX_FILE_BYTES // 1_000_000} MB; not analysed"
MAX_FINDINGS_PER_FILE = 500
LEGACY_API_CODE = "ND100"

FileReader = Callable[[Path, str, PdkLayout], FileFacts]


@frozen_dataclass
class ReadProblem:
    """A file that could not be analysed, with the reason a user can act on."""

    path: Path
    reason: str


@dataclass
class CheckResult:
    """What checking one plugin found, and the version it was checked against."""

    root: Path
    version: str
    version_source: str
    findings: list[Finding] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)


def _file_reader(language: Language) -> FileReader:
    """Front-ends are imported lazily: a Rust plugin never pays for jedi."""
    if language == "rust":
        from nd_lsp.frontends.rust import read_rust

        return read_rust
    if language == "go":
        from nd_lsp.frontends.go import read_go

        return read_go
    from nd_lsp.frontends.python import read_python

    return read_python


def is_too_large(text: str) -> bool:
    """True when text takes more than MAX_FILE_BYTES in UTF-8 (encoded only when the length leaves it open)."""
    if len(text) > MAX_FILE_BYTES:
        return True
    if len(text) * 4 <= MAX_FILE_BYTES:
        return False
    return len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES


def read_text(path: Path, overlays: Mapping[Path, str]) -> str:
    """An open editor buffer wins over the file on disk. Raises OSError/UnicodeDecodeError/ValueError.

    The size limit holds for both: a huge open buffer is reported, not analysed (nor its file on disk).
    """
    if path in overlays:
        if is_too_large(overlays[path]):
            raise ValueError(TOO_LARGE)
        return overlays[path]
    status = path.stat()
    if not stat.S_ISREG(status.st_mode):  # a FIFO or device would block the read forever
        raise ValueError("not a regular file; not analysed")
    if status.st_size > MAX_FILE_BYTES:
        raise ValueError(TOO_LARGE)
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        raise ValueError("binary file; not analysed")
    return data.decode("utf-8")


class Analyzer:
    """Reads plugins and runs the rules, caching each file's facts by its content."""

    def __init__(self) -> None:
        # Per path, the text last read and its facts (compared whole: equal strings of different
        # length differ at once, and a string's hash is computed once and kept by Python).
        self._file_cache: dict[Path, tuple[str, PdkLayout, FileFacts]] = {}

    def read_source(self, path: Path, language: Language, text: str, layout: PdkLayout) -> FileFacts:
        cached = self._file_cache.get(path)
        if cached is not None and cached[0] == text and cached[1] == layout:
            return cached[2]
        facts = _file_reader(language)(path, text, layout)
        facts.suppressions = find_suppressions(text, language)
        self._file_cache[path] = (text, layout, facts)
        return facts

    def collect(
        self,
        root: Path,
        layout: PdkLayout,
        overlays: Mapping[Path, str],
        sources: dict[Path, str],
        problems: list[ReadProblem],
        build: tuple[BuildFacts | None, BuildFacts | None] = (None, None),
    ) -> PluginFacts:
        plugin = PluginFacts(root=root, cargo=build[0], gomod=build[1])
        plugin.manifest = _read_manifest(root / MANIFEST, overlays, sources, problems)
        files = plugin_source_files(root)
        known = {p for p, _ in files}
        plugin.sources_on_disk = frozenset(known)
        files += [(p, lang) for p, lang in _overlay_sources(root, overlays) if p not in known]
        for path, language in files:
            try:
                text = read_text(path, overlays)
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                problems.append(ReadProblem(path, _reason(exc)))
                continue
            sources[path] = text
            try:
                plugin.files[path] = self.read_source(path, language, text, layout)
            except RecursionError:
                problems.append(ReadProblem(path, "file is nested too deeply to analyse"))
        drop_python_outside_entry_package(plugin)
        _link_across_files(plugin)
        return plugin

    def check(self, root: Path, settings: Settings, overlays: Mapping[Path, str] | None = None) -> CheckResult:
        overlays = overlays or {}
        sources: dict[Path, str] = {}
        problems: list[ReadProblem] = []
        target = _target(root, settings, overlays, sources, problems)
        plugin = self.collect(root, target.spec.layout, overlays, sources, problems, target.build)
        ctx = RuleContext(plugin=plugin, spec=target.spec, version_source=target.source, sources=sources)
        findings = [f for f in run_rules(ctx, settings) if not _suppressed(f, plugin)]
        return CheckResult(root, target.spec.version, target.source, _capped(findings), problems)

    def provisional_files(self, root: Path) -> list[Path]:
        """Files of the plugin at root read from a provisional tree (see `settle`)."""
        from nd_lsp.frontends.incremental_parse import provisional_paths

        return sorted(path for path in provisional_paths() if root in path.parents)

    def settle(self, paths: Iterable[Path]) -> None:
        """Make the next check read these files from a fresh parse instead of a provisional tree.

        In the language server an edited file with syntax errors is read from tree-sitter's incremental
        tree, whose error recovery may differ from a fresh parse's; once typing pauses, settling makes
        the findings exactly those of `nd-lsp check`.
        """
        from nd_lsp.frontends.incremental_parse import settle

        settled = set(paths)
        settle(settled)
        for path in settled:
            self._file_cache.pop(path, None)

    def target(self, root: Path, settings: Settings, overlays: Mapping[Path, str] | None = None) -> Target:
        """The spec a plugin is checked against, without analysing it (editor features before a check)."""
        return _target(root, settings, overlays or {}, {}, [])


@frozen_dataclass
class Target:
    """The spec a plugin is checked against, where its version came from, and its build files."""

    spec: Spec
    source: str  # where the version came from, for messages
    build: tuple[BuildFacts | None, BuildFacts | None]  # Cargo.toml, go.mod


def _target(
    root: Path,
    settings: Settings,
    overlays: Mapping[Path, str],
    sources: dict[Path, str],
    problems: list[ReadProblem],
) -> Target:
    # Build files first: they decide the version, and the version decides the PDK layout.
    cargo = _read_build(root / "Cargo.toml", "cargo", overlays, sources, problems)
    gomod = _read_build(root / "go.mod", "gomod", overlays, sources, problems)
    version, source = resolve_version(settings.navidrome_version, cargo, gomod)
    return Target(load_spec(version), source, (cargo, gomod))


def _link_across_files(plugin: PluginFacts) -> None:
    """Resolve what one file names and another declares (constants of the crate or Go package)."""
    languages = plugin.languages
    if "rust" in languages:
        from nd_lsp.frontends.rust import resolve_crate_constants

        resolve_crate_constants(plugin)
    if "go" in languages:
        from nd_lsp.frontends.go import link_go_package

        link_go_package(plugin)


def run_rules(ctx: RuleContext, settings: Settings) -> list[Finding]:
    findings: list[Finding] = []
    rules = all_rules()
    if any(f.legacy_api for f in ctx.plugin.files.values()):
        # A plugin for the pre-0.60 API gets one finding saying so, and nothing else.
        rules = tuple(r for r in rules if r.code == LEGACY_API_CODE)
    for rule_class in rules:
        if not settings.enabled(rule_class.code):
            continue
        try:
            findings.extend(rule_class().check(ctx))
        except Exception:  # a rule bug must not hide every other finding
            log.exception("rule %s failed on %s", rule_class.code, ctx.plugin.root)
    findings.sort(key=lambda f: (str(f.path), f.span.start, f.code))
    return findings


def _suppressed(finding: Finding, plugin: PluginFacts) -> bool:
    facts = plugin.files.get(finding.path)
    return facts is not None and is_suppressed(facts.suppressions, finding.span.start.line, finding.code)


def _capped(findings: list[Finding]) -> list[Finding]:
    per_file: dict[Path, int] = {}
    kept = []
    for finding in findings:
        count = per_file.get(finding.path, 0)
        if count < MAX_FINDINGS_PER_FILE:
            kept.append(finding)
        per_file[finding.path] = count + 1
    return kept


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not valid UTF-8; not analysed"
    if isinstance(exc, OSError):
        return f"cannot read: {exc.strerror or exc}"
    return str(exc)


def _overlay_sources(root: Path, overlays: Mapping[Path, str]) -> list[tuple[Path, Language]]:
    """Open buffers of the plugin that are not on disk yet (a new, unsaved file)."""
    from nd_lsp.check.discovery import is_plugin_source, language_of

    result: list[tuple[Path, Language]] = []
    for path in overlays:
        language = language_of(path)
        if language and root in path.parents and is_plugin_source(root, path, language):
            result.append((path, language))
    return result


def _read_optional(
    path: Path, overlays: Mapping[Path, str], sources: dict[Path, str], problems: list[ReadProblem]
) -> str | None:
    """The text of a file the plugin may lack (manifest.json, Cargo.toml, go.mod); None if absent or unreadable."""
    if path not in overlays and not path.is_file():
        return None
    try:
        text = read_text(path, overlays)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problems.append(ReadProblem(path, _reason(exc)))
        return None
    sources[path] = text
    return text


def _read_manifest(
    path: Path, overlays: Mapping[Path, str], sources: dict[Path, str], problems: list[ReadProblem]
) -> ManifestFacts | None:
    text = _read_optional(path, overlays, sources, problems)
    if text is None:
        return None
    from nd_lsp.frontends.manifest import read_manifest

    return read_manifest(path, text)


def _read_build(
    path: Path,
    kind: str,
    overlays: Mapping[Path, str],
    sources: dict[Path, str],
    problems: list[ReadProblem],
) -> BuildFacts | None:
    text = _read_optional(path, overlays, sources, problems)
    if text is None:
        return None
    if kind == "cargo":
        from nd_lsp.frontends.cargo import read_cargo

        return read_cargo(path, text)
    from nd_lsp.frontends.gomod import read_gomod

    return read_gomod(path, text)
