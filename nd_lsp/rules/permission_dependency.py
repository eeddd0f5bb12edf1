"""ND305: a permission declared without the permission it requires."""

from __future__ import annotations

from collections.abc import Iterator

from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Rule, Severity
from nd_lsp.rules.permissions import add_permission_fix, manifest_permissions


class PermissionDependency(Rule):
    """A permission that needs another one, declared without it.

    ## What it does
    Checks the permission dependencies Navidrome enforces when it reads the manifest of the target
    version (`subsonicapi` needs `users`, `matcher` needs `library`, ...). The fix adds the required
    permission.

    ## Why is this bad?
    Navidrome validates these dependencies while parsing manifest.json and refuses to load the plugin
    when one is missing, before any of its code runs.

    ## Example
    ```json
    {
      "name": "my-plugin",
      "author": "me",
      "version": "1.0.0",
      "permissions": {
        "subsonicapi": { "reason": "Read the play queue" }
      }
    }
    ```

    ## Use instead
    ```json
    {
      "name": "my-plugin",
      "author": "me",
      "version": "1.0.0",
      "permissions": {
        "subsonicapi": { "reason": "Read the play queue" },
        "users": { "reason": "SubsonicAPI calls run as one of the allowed users" }
      }
    }
    ```
    """

    code = "ND305"
    name = "permission-dependency"
    severity = Severity.ERROR
    languages = ("manifest",)

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        manifest = manifest_permissions(ctx)
        if manifest is None:
            return
        for dependency in ctx.spec.permission_dependencies:
            declared = manifest.declared.get(dependency.permission)
            if declared is None or dependency.requires in manifest.declared:
                continue
            quoted = f' ("{dependency.message}")' if dependency.message else ""
            fix = add_permission_fix(ctx, manifest, dependency.requires)
            yield self.finding(
                declared.member.key_span,
                f'the "{dependency.permission}" permission requires the "{dependency.requires}" permission: '
                f"Navidrome {ctx.spec.version} refuses to load the plugin{quoted}. "
                f'Add "{dependency.requires}" to the permissions.',
                fixes=[fix] if fix is not None else [],
            )
