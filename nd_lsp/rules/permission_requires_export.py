"""ND306: a permission that Navidrome accepts only together with a capability export."""

from __future__ import annotations

from collections.abc import Iterator

from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Rule, Severity
from nd_lsp.rules.permissions import manifest_permissions, sources_complete
from nd_lsp.rules.plugin_api import exported_names


class PermissionRequiresExport(Rule):
    """A permission declared without the export Navidrome requires with it.

    ## What it does
    Checks the permissions that Navidrome accepts only when the plugin exports a matching callback in
    the target version (`scheduler` needs `nd_scheduler_callback`, `taskqueue` needs
    `nd_task_execute`). Nothing is reported while a source file cannot be read or does not parse.

    ## Why is this bad?
    After detecting the plugin's capabilities from its exports, Navidrome refuses to load a plugin
    that asks for the scheduler (or task queue) but has no callback to run: a scheduled job would
    have nowhere to go.

    ## Example
    ```json
    { "permissions": { "scheduler": { "reason": "Sync every hour" } } }
    ```
    ```rust
    // manifest.json declares "scheduler", but nothing registers the callback
    nd_pdk::host::scheduler::schedule_recurring("@every 1h", "", "sync")?;
    ```
    ```go
    // manifest.json declares "scheduler"; the scheduler package is never imported
    _, err := host.SchedulerScheduleRecurring("@every 1h", "", "sync")
    ```
    ```python
    # manifest.json declares "scheduler"; no function is exported as nd_scheduler_callback
    request = {"cronExpression": "@every 1h", "payload": "", "scheduleId": "sync"}
    _scheduler_schedulerecurring(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```

    ## Use instead
    Keep the permission (or remove it if nothing is scheduled) and export the callback:
    ```json
    { "permissions": { "scheduler": { "reason": "Sync every hour" } } }
    ```
    ```rust
    nd_pdk::register_scheduler_callback!(MyPlugin);
    ```
    ```go
    scheduler.Register(&myPlugin{})
    ```
    ```python
    @extism.plugin_fn
    def nd_scheduler_callback():
        ...
    ```
    """

    code = "ND306"
    name = "permission-requires-export"
    severity = Severity.ERROR
    languages = ("rust", "go", "python", "manifest")

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        manifest = manifest_permissions(ctx)
        if manifest is None or not manifest.declared or not ctx.spec.permission_exports:
            return
        if not sources_complete(ctx):
            return  # an export may sit in the part the analysis could not read
        exports = exported_names(ctx)
        for rule in ctx.spec.permission_exports:
            declared = manifest.declared.get(rule.permission)
            if declared is None or rule.export in exports:
                continue
            quoted = f' ("{rule.message}")' if rule.message else ""
            yield self.finding(
                declared.member.key_span,
                f'the "{rule.permission}" permission requires the plugin to export `{rule.export}`, and it '
                f"exports no such function: Navidrome {ctx.spec.version} refuses to load the plugin{quoted}. "
                f"Implement and register the callback, or remove the permission.",
            )
