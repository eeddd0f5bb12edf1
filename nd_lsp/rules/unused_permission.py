"""ND304: a permission manifest.json declares but no code uses."""

from __future__ import annotations

from collections.abc import Iterator

from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Rule, Severity
from nd_lsp.rules.manifest_edits import remove_member
from nd_lsp.rules.permissions import code_usage, is_used, manifest_permissions
from nd_lsp.specs.model import Spec


def _would_use(spec: Spec, permission: str) -> str:
    """What the plugin does not do that would need the permission, as the spec says."""
    uses: list[str] = [f"calls no {s.name} host function" for s in spec.host_services if s.permission == permission]
    uses += [f"exports no {c.capability} capability" for c in spec.capability_permissions if c.permission == permission]
    uses += [f'declares no "{d.permission}"' for d in spec.permission_dependencies if d.requires == permission]
    for use in spec.permission_uses:
        kind, _, name = use.used_by.partition(":")
        if use.permission != permission:
            continue
        if kind == "manifest_option":
            uses.append(f'does not set "{name.split(".")[-1]}"')
        elif kind == "extism_http":
            uses.append("sends no request with Extism's HTTP client")
    unique = list(dict.fromkeys(uses))
    if len(unique) <= 1:
        return unique[0] if unique else "uses nothing that needs it"
    return ", ".join(unique[:-1]) + " and " + unique[-1]


class UnusedPermission(Rule):
    """A declared permission that no code of the plugin uses.

    ## What it does
    Compares the permissions in manifest.json with what the code uses: host services, capabilities
    that need a permission, permissions other permissions require, `library` with `filesystem: true`
    (file access), and Extism's own HTTP client for `http`. A permission nothing needs is reported,
    and the fix removes it. Nothing is reported while a source file cannot be read or does not parse,
    or when a host call cannot be attributed to a service.

    ## Why is this bad?
    Every permission is shown to the administrator who installs the plugin and widens what it may do.
    An unneeded one asks for trust the plugin does not need, and often is a leftover of code that
    was removed or never written.

    ## Example
    ```json
    {
      "name": "my-plugin",
      "author": "me",
      "version": "1.0.0",
      "permissions": {
        "cache": { "reason": "Cache results" }
      }
    }
    ```
    ```rust
    // no call of nd_pdk::host::cache anywhere
    nd_pdk::register_lifecycle_init!(MyPlugin);
    ```
    ```go
    // no host.Cache... call anywhere in the package
    func init() { lifecycle.Register(&myPlugin{}) }
    ```
    ```python
    # no cache_* host import anywhere in the plugin
    @extism.plugin_fn
    def nd_on_init(): ...
    ```

    ## Use instead
    ```json
    {
      "name": "my-plugin",
      "author": "me",
      "version": "1.0.0",
      "permissions": {}
    }
    ```
    Or keep the permission for code that does use the service:
    ```rust
    nd_pdk::host::cache::set_string("greeting", "hello", 3600)?;
    ```
    ```go
    err := host.CacheSetString("greeting", "hello", 3600)
    ```
    ```python
    @extism.import_fn("extism:host/user", "cache_setstring")
    def _cache_setstring(offset: int) -> int: ...
    ```
    """

    code = "ND304"
    name = "unused-permission"
    severity = Severity.WARNING
    languages = ("rust", "go", "python", "manifest")

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        manifest = manifest_permissions(ctx)
        if manifest is None or manifest.object is None or not manifest.declared:
            return
        usage = code_usage(ctx)
        if not usage.complete:
            return
        permissions = manifest.object
        for declared in manifest.declared.values():
            if is_used(ctx, declared, manifest.declared, usage):
                continue
            index = next(i for i, m in enumerate(permissions.members) if m is declared.member)
            yield self.finding(
                declared.member.key_span,
                f'the "{declared.key}" permission is declared but nothing uses it: the plugin '
                f"{_would_use(ctx.spec, declared.key)}. An unused permission only widens what the administrator "
                "must allow; remove it.",
                fixes=[Fix(f'Remove the "{declared.key}" permission', (remove_member(permissions, index),))],
                tags=["unnecessary"],
            )
