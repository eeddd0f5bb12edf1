"""ND308: a plugin source tree without manifest.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from nd_lsp.check.discovery import MANIFEST
from nd_lsp.frontends.facts import BuildFacts, PluginFacts, Position, Span
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Rule, Severity, TextEdit
from nd_lsp.rules.permissions import permission_needs, permissions_key, placeholder_value
from nd_lsp.specs.model import PdkLayout


def _uses_pdk(plugin: PluginFacts, layout: PdkLayout) -> bool:
    """Evidence that the tree is a Navidrome plugin, not some other Rust/Go/Python project."""
    if plugin.registrations() or plugin.exports() or plugin.host_calls() or plugin.host_imports():
        return True
    if plugin.pdk_uses():
        return True
    cargo, gomod = plugin.cargo, plugin.gomod
    if cargo is not None and layout.rust_crate and cargo.dependency(layout.rust_crate) is not None:
        return True
    return gomod is not None and bool(layout.go_module) and gomod.dependency(layout.go_module) is not None


def _anchor(plugin: PluginFacts) -> Path | None:
    """The build file at the package root, else the first source file."""
    build: BuildFacts | None = plugin.cargo or plugin.gomod
    if build is not None:
        return build.path
    return min(plugin.files, default=None)


class MissingManifest(Rule):
    """A plugin source tree without manifest.json.

    ## What it does
    Reports a plugin (a tree that uses Navidrome's PDK or exports capabilities) whose package root
    has no manifest.json. The fix creates one with the plugin's name, a version, an author to fill
    in, and the permissions the code needs.

    ## Why is this bad?
    A Navidrome plugin package (`.ndp`) is a zip of `plugin.wasm` and `manifest.json` at its root.
    Without the manifest Navidrome rejects the package ("package missing manifest.json"), and nd-lsp
    cannot check permissions either.

    ## Example
    ```text
    my-plugin/
      Cargo.toml
      src/lib.rs
    ```
    ```rust
    // my-plugin/src/lib.rs, with no my-plugin/manifest.json beside Cargo.toml
    nd_pdk::register_lifecycle_init!(MyPlugin);
    ```
    ```go
    // my-plugin/main.go, with no my-plugin/manifest.json beside go.mod
    func init() { lifecycle.Register(&myPlugin{}) }
    ```
    ```python
    # my-plugin/plugin/__init__.py, with no my-plugin/manifest.json
    @extism.plugin_fn
    def nd_on_init(): ...
    ```

    ## Use instead
    ```text
    my-plugin/
      Cargo.toml
      manifest.json
      src/lib.rs
    ```
    ```json
    { "name": "my-plugin", "author": "Jane Doe", "version": "1.0.0" }
    ```
    ```rust
    // my-plugin/src/lib.rs, packaged with my-plugin/manifest.json
    nd_pdk::register_lifecycle_init!(MyPlugin);
    ```
    ```go
    // my-plugin/main.go, packaged with my-plugin/manifest.json
    func init() { lifecycle.Register(&myPlugin{}) }
    ```
    ```python
    # my-plugin/plugin/__init__.py, packaged with my-plugin/manifest.json
    @extism.plugin_fn
    def nd_on_init(): ...
    ```
    """

    code = "ND308"
    name = "missing-manifest"
    severity = Severity.ERROR
    languages = ("rust", "go", "python")

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        plugin = ctx.plugin
        manifest_path = plugin.root / MANIFEST
        if plugin.manifest is not None or manifest_path.exists() or manifest_path in ctx.sources:
            return
        if not _uses_pdk(plugin, ctx.spec.layout):
            return
        anchor = _anchor(plugin)
        if anchor is None:
            return
        yield self.finding(
            Span(anchor, Position(0, 0), Position(0, 0)),
            f"this plugin has no {MANIFEST}: Navidrome needs {MANIFEST} at the package root next to "
            "plugin.wasm and rejects a package without it. Create it with the plugin's name, author, "
            "version and permissions.",
            fixes=[_create_manifest(ctx, manifest_path)],
        )


def _create_manifest(ctx: RuleContext, path: Path) -> Fix:
    needed = sorted({n.permission for n in permission_needs(ctx)})
    placeholder = placeholder_value(ctx.spec)
    content: dict[str, object] = {}
    for key in _required_keys(ctx):
        content[key] = _starting_value(ctx, key)
    key = permissions_key(ctx.spec)
    if needed and key:
        content[key] = {permission: placeholder for permission in needed}
    text = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
    start = Position(0, 0)
    return Fix(f"Create {MANIFEST}", (TextEdit(Span(path, start, start), text),), applicability="unsafe")


def _required_keys(ctx: RuleContext) -> list[str]:
    required = ctx.spec.manifest_schema.get("required", [])
    return [str(k) for k in required] if isinstance(required, list) else []


def _starting_value(ctx: RuleContext, key: str) -> str:
    """A non-empty start for a required string: the folder name for the first, then placeholders."""
    schema = ctx.spec.schema_node(ctx.spec.manifest_schema.get("properties", {}).get(key, {}))
    description = str(schema.get("description", "")).lower()
    if "version" in description:
        return "0.1.0"
    if "name" in description:
        return ctx.plugin.root.name
    return "TODO"
