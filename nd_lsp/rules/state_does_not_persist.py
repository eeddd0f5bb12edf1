"""ND402: state set up at instance creation or kept in globals, although every call gets a fresh instance."""

from __future__ import annotations

from collections.abc import Iterable

from nd_lsp.frontends.facts import GlobalWrite, HostCall, Language
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Rule, Severity
from nd_lsp.rules.plugin_api import resolve_host_call

# Where code runs each time an instance is created, as each language calls it.
INIT_PLACE: dict[Language, str] = {
    "go": "in init()",
    "rust": "while a static is initialised",
    "python": "at module level",
}
INIT_ADVICE = "make the call inside the exported function that needs it"
STATE_ADVICE = "keep state that must outlive a call in the host's key-value store or cache"
DEFAULT_CAUSE = "Navidrome runs every call in a fresh plugin instance and closes it afterwards."


class StateDoesNotPersist(Rule):
    """Code that assumes the plugin instance lives on between calls.

    ## What it does
    Reports host calls made while the plugin instance starts (Go `init()`, a Rust static
    initialiser, Python module-level code), except reads of the plugin's configuration, and
    package/module globals written inside an exported function or capability method.

    ## Why is this bad?
    Navidrome creates a fresh plugin instance for every call and closes it afterwards. Start-up code
    therefore runs again before every call (a recurring schedule created there is re-created each
    time), and a global written during one call is back to its initial value in the next one.

    ## Example
    ```rust
    static mut COUNT: u32 = 0;

    fn scrobble(&self, _req: ScrobbleRequest) -> Result<(), Error> {
        unsafe { COUNT += 1 }
        Ok(())
    }
    ```
    ```go
    var count int

    func init() { host.SchedulerScheduleRecurring("@hourly", "", "sync") }

    func (p *plugin) Scrobble(req scrobbler.ScrobbleRequest) error { count++; return nil }
    ```
    ```python
    counter = 0

    @extism.plugin_fn
    def nd_scrobbler_scrobble():
        global counter
        counter += 1
    ```

    ## Use instead
    Schedule once from the init callback, and keep counters in the key-value store:
    ```rust
    fn count_scrobble() -> Result<(), nd_pdk::host::Error> {
        let stored = nd_pdk::host::kvstore::get("count")?.unwrap_or_default();
        let count: u32 = String::from_utf8_lossy(&stored).parse().unwrap_or(0);
        nd_pdk::host::kvstore::set("count", (count + 1).to_string().into_bytes())
    }
    ```
    ```go
    func (p *plugin) OnInit() error {
        _, err := host.SchedulerScheduleRecurring("@hourly", "", "sync")
        return err
    }
    ```
    ```python
    @extism.plugin_fn
    def nd_scrobbler_scrobble():
        count = int(kv_get("count") or "0") + 1  # kv_get/kv_set wrap kvstore_get/kvstore_set
        kv_set("count", str(count))
    ```
    """

    code = "ND402"
    name = "state-does-not-persist"
    severity = Severity.WARNING
    languages = ("rust", "go", "python")

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        causes = {f.language: f.note.strip() for f in ctx.spec.runtime_facts if f.rule == self.code}
        for call in ctx.plugin.host_calls():
            if call.in_init and not _reads_configuration(ctx, call):
                cause = causes.get(call.language) or DEFAULT_CAUSE
                yield self.finding(call.name_span, f"{_init_message(call)} {cause}")
        entry_points = _entry_points(ctx)
        for write in ctx.plugin.global_writes():
            if (write.language, write.enclosing_function) in entry_points:
                cause = causes.get(write.language) or DEFAULT_CAUSE
                yield self.finding(write.span, f"{_state_message(write)} {cause}")


def _entry_points(ctx: RuleContext) -> frozenset[tuple[Language, str]]:
    """Functions Navidrome calls directly: the code's own exports and capability methods it implements."""
    found = {(e.language, e.name) for e in ctx.plugin.exports()}
    rust_traits = {t.name for c in ctx.spec.capabilities for t in c.rust_traits}
    rust_methods = {m.rust_method for c in ctx.spec.capabilities for m in c.methods}
    go_methods = {m.name for c in ctx.spec.capabilities for m in c.methods}
    for impl in ctx.plugin.impls():
        for method in impl.methods:
            if impl.language == "rust" and impl.trait in rust_traits and method.name in rust_methods:
                found.add(("rust", method.name))
            elif impl.language == "go" and method.name in go_methods:
                found.add(("go", method.name))
    return frozenset(found)


def _reads_configuration(ctx: RuleContext, call: HostCall) -> bool:
    """A service that needs no permission is the plugin's own configuration: reading it at start-up
    sets nothing up, and every instance reads the same, current values."""
    resolved = resolve_host_call(ctx.spec, call)
    return resolved is not None and not resolved[0].permission


def _callee(call: HostCall) -> str:
    return f"{call.service}::{call.function}" if call.kind == "rust_wrapper" else call.function


def _init_message(call: HostCall) -> str:
    place = INIT_PLACE.get(call.language, "while the plugin instance starts")
    return (
        f"{_callee(call)} runs {place}, so it runs again before every call and what it sets up is not "
        f"kept for later calls; {INIT_ADVICE}."
    )


def _state_message(write: GlobalWrite) -> str:
    return (
        f"{write.name} is changed in {write.enclosing_function}, but the next call starts with its initial "
        f"value again; {STATE_ADVICE}."
    )
