"""ND401: a sleep call, which returns at once in the plugin sandbox."""

from __future__ import annotations

from collections.abc import Iterable

from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Rule, Severity
from nd_lsp.specs.model import RuntimeFact

DEFAULT_ADVICE = "to run code later, have the host schedule a one-time callback instead"


class SleepDoesNotWait(Rule):
    """A call that is meant to pause the plugin, which returns at once in Navidrome's sandbox.

    ## What it does
    Reports calls of the sleep functions of each language (listed per release in the spec's
    runtime facts), e.g. `std::thread::sleep`, `time.Sleep` and `time.sleep`.

    ## Why is this bad?
    Plugins run in a WebAssembly sandbox whose clock is virtual: sleeping does not wait for real
    time, so retry loops and rate limiting built on it hammer the remote service instead of pausing.

    ## Example
    ```rust
    std::thread::sleep(std::time::Duration::from_secs(5));
    ```
    ```go
    time.Sleep(5 * time.Second)
    ```
    ```python
    time.sleep(5)
    ```

    ## Use instead
    Let the scheduler call back later (the plugin exports the scheduler callback):
    ```rust
    nd_pdk::host::scheduler::schedule_one_time(5, "retry", "")?;
    ```
    ```go
    host.SchedulerScheduleOneTime(5, "retry", "")
    ```
    ```python
    request = {"delaySeconds": 5, "payload": "retry", "scheduleId": ""}
    _scheduler_scheduleonetime(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```
    """

    code = "ND401"
    name = "sleep-does-not-wait"
    severity = Severity.WARNING
    languages = ("rust", "go", "python")

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        facts = {(f.language, f.item): f for f in ctx.spec.runtime_facts if f.rule == self.code}
        if not facts:
            return
        for call in ctx.plugin.calls():
            fact = facts.get((call.language, call.callee.removeprefix("::")))
            if fact is not None:
                yield self.finding(call.name_span, _message(call.callee, fact))


def _message(callee: str, fact: RuntimeFact) -> str:
    cause = fact.note.strip() or "The plugin sandbox's clock is virtual, so sleeping returns at once."
    return f"{callee} does not wait at run time; {DEFAULT_ADVICE}. {cause}"
