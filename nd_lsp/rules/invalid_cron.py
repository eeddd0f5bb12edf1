"""ND205: a recurring-schedule cron literal that the target version's scheduler rejects."""

from __future__ import annotations

from collections.abc import Iterable

from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.cron_syntax import EVERY, cron_problem
from nd_lsp.rules.finding import Finding, Fix, Rule, Severity, TextEdit
from nd_lsp.rules.host_constraints import ConstrainedArgument, constrained_arguments
from nd_lsp.specs.loader import load_spec, version_key
from nd_lsp.specs.model import CronGrammar

QUOTES = ('"', "'", "`")
# A rewrite only makes sense for an expression that some release understands.
RICHEST_GRAMMAR = CronGrammar(seconds=True, descriptors=True, random=True, bare_duration=True)


class InvalidCron(Rule):
    """A cron expression the scheduler of the target Navidrome version cannot parse.

    ## What it does
    Parses the cron literal passed to the scheduler's recurring-schedule function with the grammar of
    the target Navidrome version: up to 0.60.x, five fields (minute hour day-of-month month
    day-of-week) or a descriptor (`@daily`, `@every 1h`), with an optional `TZ=`/`CRON_TZ=` prefix;
    since 0.61.0 also an optional leading seconds field, crontab(5) random values (`3~5`, not in
    lists, steps or descriptors) and bare Go durations (`"5m"` means `@every 5m`).

    ## Why is this bad?
    The host refuses the expression, so the schedule is never created and the callback never runs.
    Only the returned error tells, at run time.

    ## Example
    ```rust
    // targets Navidrome 0.60.3: six fields need 0.61.0
    nd_pdk::host::scheduler::schedule_recurring("0 */5 * * * *", "", "poll")?;
    ```
    ```go
    host.SchedulerScheduleRecurring("61 * * * *", "", "poll")
    ```
    ```python
    request = {"cronExpression": "0~59 3 * * *", "payload": "", "scheduleId": "sweep"}  # `~` needs 0.61.0
    _scheduler_schedulerecurring(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```

    ## Use instead
    ```rust
    nd_pdk::host::scheduler::schedule_recurring("*/5 * * * *", "", "poll")?;
    ```
    ```go
    host.SchedulerScheduleRecurring("@every 1h", "", "poll")
    ```
    ```python
    request = {"cronExpression": "30 3 * * *", "payload": "", "scheduleId": "sweep"}
    _scheduler_schedulerecurring(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```
    """

    code = "ND205"
    name = "invalid-cron"
    severity = Severity.ERROR
    languages = ("rust", "go", "python")

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for found in constrained_arguments(ctx, self.code):
            expression = found.value
            if found.constraint.kind != "cron" or not found.argument.resolved or not isinstance(expression, str):
                continue
            problem = cron_problem(expression, ctx.spec.cron)
            if problem is not None:
                yield self._finding(ctx, found, expression, problem)

    def _finding(self, ctx: RuleContext, found: ConstrainedArgument, expression: str, problem: str) -> Finding:
        grammar = ctx.spec.cron
        accepted_from = _first_release_accepting(ctx, expression)
        since = f"; this syntax needs Navidrome {accepted_from} or later" if accepted_from else ""
        message = (
            f'{found.callee}: the scheduler of Navidrome {ctx.spec.version} rejects cron expression "{expression}" '
            f"({problem}){since}, so the call returns an error and the schedule never runs; "
            f"write {_accepted_forms(grammar)}"
        )
        return self.finding(found.argument.span, message, fixes=_fixes(found, expression, grammar))


def _first_release_accepting(ctx: RuleContext, expression: str) -> str:
    """The oldest release after the target whose scheduler accepts the expression, or ""."""
    target = version_key(ctx.spec.version)
    for version in ctx.history.versions:
        if version_key(version) > target and cron_problem(expression, load_spec(version).cron) is None:
            return version
    return ""


def _accepted_forms(grammar: CronGrammar) -> str:
    fields = (
        "5 or 6 fields ([second] minute hour day-of-month month day-of-week)"
        if grammar.seconds
        else ("5 fields (minute hour day-of-month month day-of-week)")
    )
    extras = ", a descriptor such as @daily or @every 1h" if grammar.descriptors else ""
    duration = ", or a duration such as 5m" if grammar.bare_duration else ""
    return fields + extras + duration


def _fixes(found: ConstrainedArgument, expression: str, grammar: CronGrammar) -> tuple[Fix, ...]:
    """Rewrites that keep the meaning: a bare duration as `@every`, a zero seconds field dropped."""
    text = found.argument.text
    quoted = len(text) >= 2 and text[0] in QUOTES and text[-1] == text[0] and text[1:-1] == expression
    if not quoted:
        return ()
    candidates = [(f"{EVERY}{expression}", f"Write it as {EVERY}{expression}")]
    fields = expression.split()
    if len(fields) == 6 and fields[0] == "0":
        candidates.append((" ".join(fields[1:]), "Drop the seconds field"))
    for rewritten, title in candidates:
        if cron_problem(expression, RICHEST_GRAMMAR) is None and cron_problem(rewritten, grammar) is None:
            edit = TextEdit(found.argument.span, f"{text[0]}{rewritten}{text[-1]}")
            return (Fix(title, (edit,), preferred=True),)
    return ()
