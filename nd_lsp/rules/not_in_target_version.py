"""ND111: an API item that exists in some Navidrome release, but not in the one the plugin targets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from nd_lsp.frontends.facts import HostCall, PdkItemUse, PluginFacts, Span
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Rule, Severity
from nd_lsp.specs.history import ApiHistory
from nd_lsp.specs.loader import MASTER, version_key

# ApiHistory kind of each host-call form.
HOST_CALL_KINDS = {"rust_wrapper": "rust_host", "go_wrapper": "go_host", "python_wrapper": "python_host"}


@frozen_dataclass
class ItemUse:
    """One place where the plugin names an API item: the history key and how to show it."""

    kind: str  # ApiHistory kind: "macro", "import", "rust_path", ...
    name: str  # ApiHistory name
    shown: str  # as the message names it
    span: Span


class NotInTargetVersion(Rule):
    """An API item the target Navidrome version does not have, although another release does.

    ## What it does
    Checks every API item the plugin names against the release it targets (set with
    `navidrome-version`, else read from the `nd-pdk` tag in Cargo.toml or the PDK version in go.mod):
    register macros, host functions and their raw imports, exports, PDK types, traits and packages,
    and manifest permission keys. An item added in a later release, only on master, or removed
    before the target is reported with the release that has it.

    ## Why is this bad?
    A host function the server does not have makes the plugin fail to load (an unresolved import);
    an export it does not know is never called; a permission key it does not know is ignored. The
    code may compile against a newer PDK and still fail on the server you run.

    ## Example
    ```rust
    // Cargo.toml: nd-pdk = { git = "...", tag = "v0.60.3" }
    nd_pdk::host::kvstore::delete_by_prefix("cache:")?; // since 0.61.0
    ```
    ```go
    host.TaskCreateQueue("jobs", host.QueueConfig{}) // since 0.61.0
    ```
    ```python
    @extism.plugin_fn
    def nd_scrobbler_playback_report():  # since 0.62.0
        ...
    ```
    ```json
    { "permissions": { "matcher": {}, "library": {} } }
    ```
    (with `navidrome-version = "0.62.0"`: the `matcher` permission exists since 0.63.0)

    ## Use instead
    Raise the target version (and the PDK dependency) to a release that has the item, or use what
    the target has (for example, list the keys and delete them one by one).
    ```rust
    // Cargo.toml: nd-pdk = { git = "...", tag = "v0.61.0" }
    nd_pdk::host::kvstore::delete_by_prefix("cache:")?;
    ```
    ```go
    // targets 0.60.3, which has no task queue: do the work in the scheduler callback instead
    _, err := host.SchedulerScheduleOneTime(0, "job", "")
    ```
    ```python
    # nd-lsp.toml: navidrome-version = "0.62.0"
    @extism.plugin_fn
    def nd_scrobbler_playback_report():
        ...
    ```
    ```json
    { "permissions": { "library": {} } }
    ```
    """

    code = "ND111"
    name = "not-in-target-version"
    severity = Severity.ERROR
    languages = ("rust", "go", "python", "manifest")

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        history = ctx.history
        target = ctx.spec.version
        reported: set[tuple[Span, str]] = set()
        for use in item_uses(ctx.plugin, ctx.spec.layout.rust_crate):
            described = _describe(history, use, target)
            if described and (use.span, use.name) not in reported:
                reported.add((use.span, use.name))
                message = f"{described}; this plugin targets {target} {_target_source(ctx.version_source)}"
                yield self.finding(use.span, message)


def _describe(history: ApiHistory, use: ItemUse, target: str) -> str:
    """What the target lacks: the item itself, or for an item nd-lsp does not index (`lyrics::Error`),
    the module around it."""
    when = availability(history, use.kind, use.name, target)
    if when or use.kind != "rust_path" or history.of_item(use.kind, use.name).versions:
        return f"{use.shown} {when}" if when else ""
    segments = use.name.split("::")
    for length in range(len(segments) - 1, 0, -1):
        module = "::".join(segments[:length])
        when = availability(history, use.kind, module, target)
        if when:
            shown_module = use.shown.rsplit("::", len(segments) - length)[0]
            return f"{use.shown}: its module {shown_module} {when}"
        if history.of_item(use.kind, module).versions:
            return ""
    return ""


def availability(history: ApiHistory, kind: str, name: str, target: str) -> str:
    """Why the target lacks an item that another release has ("is available since Navidrome 0.61.0",
    "was removed after ..."); "" when the target has it or no release has it (other rules report those)."""
    versions = history.of_item(kind, name).versions
    if not versions or target in versions:
        return ""
    later = [v for v in versions if version_key(v) > version_key(target)]
    if later:
        if later[0] == MASTER:
            return "exists only on Navidrome's master branch (unreleased)"
        return f"is available since Navidrome {later[0]}"
    return f"was removed after Navidrome {versions[-1]}"


def _target_source(source: str) -> str:
    if source in ("setting", "explicit"):
        return "(set by navidrome-version)"
    if source in ("newest", "newest release"):
        return "(the newest release; set navidrome-version to target another)"
    return f"(from {source})"


def item_uses(plugin: PluginFacts, rust_crate: str = "") -> Iterator[ItemUse]:
    """Every API item the plugin's code and manifest name, keyed the way ApiHistory indexes them."""
    for registration in plugin.registrations():
        if registration.language == "rust":
            yield ItemUse("macro", registration.name, f"{registration.name}!", registration.name_span)
    for call in plugin.host_calls():
        found = _host_call_use(call)
        if found is not None:
            yield found
    for imported in plugin.host_imports():
        yield ItemUse("import", imported.name, imported.name, imported.name_span)
    for export in plugin.exports():
        yield ItemUse("export", export.name, export.name, export.name_span)
    for use in plugin.pdk_uses():
        if (found := _pdk_use(use, rust_crate)) is not None:
            yield found
    for package in plugin.imports():
        if package.language == "go":
            yield ItemUse("go_package", package.path, f'package "{package.path}"', package.span)
        elif package.language == "python":
            module = package.path.rsplit(".", 1)[-1]
            yield ItemUse("python_module", module, f"module {module}", package.span)
    yield from _permission_uses(plugin)


def _host_call_use(call: HostCall) -> ItemUse | None:
    # A raw import call is reported once, at its declaration (a HostImport).
    kind = HOST_CALL_KINDS.get(call.kind)
    if kind is None:
        return None
    if call.kind == "rust_wrapper":
        name = f"{call.service}::{call.function}"
        return ItemUse(kind, name, name, call.name_span)
    return ItemUse(kind, call.function, call.function, call.name_span)


def _pdk_use(use: PdkItemUse, rust_crate: str) -> ItemUse | None:
    if use.language == "rust":
        name = "::".join(use.path)
        shown = "::".join(filter(None, (rust_crate, name)))
        return ItemUse("rust_path", name, f"{shown}!" if use.role == "macro" else shown, use.span)
    if use.language == "go":
        name = ".".join(use.path)
        return ItemUse("go_path", name, name, use.span)
    return None


def _permission_uses(plugin: PluginFacts) -> Iterator[ItemUse]:
    manifest = plugin.manifest
    root = manifest.root if manifest is not None else None
    permissions = root.get("permissions") if root is not None and root.kind == "object" else None
    if permissions is None or permissions.kind != "object":
        return
    for member in permissions.members:
        yield ItemUse("permission", member.key, f'permission "{member.key}"', member.key_span)
