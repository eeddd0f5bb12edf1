"""ND303: code that needs a manifest permission the manifest does not declare."""

from __future__ import annotations

from collections.abc import Iterator

from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Related, Rule, Severity
from nd_lsp.rules.permissions import (
    ManifestPermissions,
    PermissionNeed,
    add_permission_fix,
    manifest_permissions,
    permission_needs,
)


class MissingPermission(Rule):
    """Code uses a host service, or exports a capability, whose permission manifest.json lacks.

    ## What it does
    Maps every host-function call (and raw host import) to the permission that unlocks its service,
    and every exported capability that needs a permission (a scrobbler needs `users`), and reports the
    ones manifest.json does not declare. The fix adds the permission with an empty `reason`.

    ## Why is this bad?
    Navidrome registers a service's host functions only for declared permissions. A plugin that
    imports `kvstore_set` without the `kvstore` permission fails to load on an unresolved import, and
    Navidrome refuses a scrobbler without `users`. No compiler sees this.

    ## Example
    ```json
    { "name": "my-plugin", "author": "me", "version": "1.0.0" }
    ```
    ```rust
    // manifest.json declares no permissions
    nd_pdk::host::kvstore::set("last-run", b"now".to_vec())?;
    ```
    ```go
    // manifest.json declares no permissions
    err := host.KVStoreSet("last-run", []byte("now"))
    ```
    ```python
    # manifest.json declares no permissions
    @extism.import_fn("extism:host/user", "kvstore_set")
    def _kvstore_set(offset: int) -> int: ...
    ```

    ## Use instead
    ```json
    {
      "name": "my-plugin",
      "author": "me",
      "version": "1.0.0",
      "permissions": {
        "kvstore": { "reason": "Remember when the plugin last ran" }
      }
    }
    ```
    The code stays as it is:
    ```rust
    nd_pdk::host::kvstore::set("last-run", b"now".to_vec())?;
    ```
    ```go
    err := host.KVStoreSet("last-run", []byte("now"))
    ```
    ```python
    @extism.import_fn("extism:host/user", "kvstore_set")
    def _kvstore_set(offset: int) -> int: ...
    ```
    """

    code = "ND303"
    name = "missing-permission"
    severity = Severity.ERROR
    languages = ("rust", "go", "python", "manifest")

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        manifest = manifest_permissions(ctx)
        if manifest is None:
            return
        reported: set[tuple[str, str]] = set()
        for need in permission_needs(ctx):
            if need.permission in manifest.declared:
                continue
            # The first use per permission and file: one fix covers them all.
            key = (need.permission, str(need.span.path))
            if key in reported:
                continue
            reported.add(key)
            yield self._finding(ctx, manifest, need)

    def _finding(self, ctx: RuleContext, manifest: ManifestPermissions, need: PermissionNeed) -> Finding:
        fix = add_permission_fix(ctx, manifest, need.permission)
        return self.finding(
            need.span,
            _message(ctx, need),
            related=[Related(manifest.anchor(), f'add "{need.permission}" here')],
            fixes=[fix] if fix is not None else [],
        )


def _message(ctx: RuleContext, need: PermissionNeed) -> str:
    permission = need.permission
    add = f'Add "{permission}" to the permissions in manifest.json.'
    if need.kind == "host_function":
        service = need.service.name if need.service is not None else "its"
        return (
            f'`{need.what}` needs the "{permission}" permission, which manifest.json does not declare: '
            f"Navidrome registers the {service} host functions only for plugins that declare it, so the "
            f"plugin fails to load (unresolved import `{need.import_name}`). {add}"
        )
    if need.kind == "capability":
        link = next(
            (c for c in ctx.spec.capability_permissions if c.capability == need.what and c.permission == permission),
            None,
        )
        quoted = f' ("{link.message}")' if link is not None and link.message else ""
        return (
            f'the {need.what} capability needs the "{permission}" permission, which manifest.json does not declare: '
            f"Navidrome {ctx.spec.version} refuses to load the plugin{quoted}. {add}"
        )
    return (
        f"`{need.what}` sends an HTTP request through Extism, which Navidrome allows only towards the hosts of a "
        f'declared "{permission}" permission: without it every request is denied. {add}'
    )
