"""The cron grammar of Navidrome's scheduler, per release: what ScheduleRecurring accepts and rejects."""

from __future__ import annotations

import pytest

from nd_lsp.rules.cron_syntax import cron_problem
from nd_lsp.specs.model import CronGrammar

# v0.60.x: robfig/cron's default parser (5 fields + descriptors).
V060 = CronGrammar(seconds=False, descriptors=True, random=False, bare_duration=False)
# v0.61.0+: optional seconds, `~` random values, bare Go durations.
V061 = CronGrammar(seconds=True, descriptors=True, random=True, bare_duration=True)

ACCEPTED_BY_BOTH = [
    "* * * * *",
    "*/5 * * * *",
    "0 3 * * *",
    "0 3 * * mon-fri",
    "0 0 1 jan,jul *",
    "0 0 1 JAN *",
    "5-10/2 * * * *",
    "5/15 * * * *",
    "0 0 ? * *",
    "0 0 * * 0",
    "1,,2 * * * *",
    "+5 * * * *",
    "*-5 * * * *",
    "@daily",
    "@midnight",
    "@hourly",
    "@weekly",
    "@monthly",
    "@yearly",
    "@annually",
    "@every 5m",
    "@every 1h30m",
    "@every 1.5h",
    "@every 0",
    "TZ=UTC 0 3 * * *",
    "CRON_TZ=Europe/Berlin 0 3 * * *",
    "TZ=Europe/Paris @daily",
    "  0 3 * * *  ",
]

REJECTED_BY_BOTH = [
    ("", "empty spec string"),
    ("* * * *", "found 4"),
    ("* * * * * * *", "found 7"),
    ("60 * * * *", "above the maximum 59"),
    ("* 24 * * *", "above the maximum 23"),
    ("* * 0 * *", "below the minimum 1"),
    ("* * 32 * *", "above the maximum 31"),
    ("* * * 13 *", "above the maximum 12"),
    ("* * * * 7", "above the maximum 6"),
    ("10-5 * * * *", "starts after it ends"),
    ("*/0 * * * *", "positive number"),
    ("1-2-3 * * * *", "too many hyphens"),
    ("1/2/3 * * * *", "too many slashes"),
    ("-5 * * * *", "failed to parse int"),
    ("x * * * *", "failed to parse int"),
    ("* * * foo *", "failed to parse int"),
    ("@daily ", "unrecognized descriptor"),
    ("@Daily", "unrecognized descriptor"),
    ("@reboot", "unrecognized descriptor"),
    ("@every", "unrecognized descriptor"),
    ("@every 5", "failed to parse duration"),
    ("@every 5 m", "failed to parse duration"),
    ("@every 5x", "failed to parse duration"),
    ("TZ=Mars/Olympus 0 3 * * *", "bad location"),
    ("TZ=UTC", "time zone"),
]

ONLY_FROM_0_61 = [
    "0 */5 * * * *",  # seconds field
    "30 0 3 * * *",
    "5m",  # bare Go duration == @every 5m
    "1h30m",
    "90s",
    "0 3~5 * * *",  # random hour between 3 and 5
    "~ 3 * * *",
    "0 0~59 3 * * *",
    "TZ=UTC 0 1~4 * * *",
]

REJECTED_FROM_0_61 = [
    ("* * * * * * *", "found 7"),
    ("0 3~5,7 * * *", "lists or steps"),
    ("0 1~5/2 * * *", "lists or steps"),
    ("@daily~", "descriptors"),
    ("TZ=UTC @every 1h~", "descriptors"),
    ("0 5~3 * * *", "beyond end"),
    ("0 3~25 * * *", "above maximum"),
    ("0 0 0~5 * *", "below minimum"),
    ("0 a~5 * * *", "invalid random range start"),
    ("0 1~b * * *", "invalid random range end"),
    ("0 1~2~3 * * *", "invalid random range end"),
    ("0 jan~mar * * *", "invalid random range start"),
    ("0 3~5 * *", "expected 5 or 6 fields"),
    ("5 m", "found 2"),
    ("60 0 3 * * *", "above the maximum 59"),
]


@pytest.mark.parametrize("expression", ACCEPTED_BY_BOTH)
def test_every_release_accepts_standard_expressions(expression: str) -> None:
    assert cron_problem(expression, V060) is None
    assert cron_problem(expression, V061) is None


@pytest.mark.parametrize(("expression", "reason"), REJECTED_BY_BOTH)
def test_every_release_rejects_malformed_expressions(expression: str, reason: str) -> None:
    for grammar in (V060, V061):
        problem = cron_problem(expression, grammar)
        assert problem is not None and reason in problem, (grammar, problem)


@pytest.mark.parametrize("expression", ONLY_FROM_0_61)
def test_seconds_random_and_durations_work_only_from_0_61(expression: str) -> None:
    assert cron_problem(expression, V061) is None
    assert cron_problem(expression, V060) is not None


def test_0_60_names_the_field_count_it_expected() -> None:
    assert cron_problem("0 */5 * * * *", V060) == "expected exactly 5 fields, found 6"


def test_0_60_has_no_random_values() -> None:
    problem = cron_problem("0 3~5 * * *", V060)
    assert problem is not None and "failed to parse int" in problem


@pytest.mark.parametrize(("expression", "reason"), REJECTED_FROM_0_61)
def test_0_61_rejects_misused_extensions(expression: str, reason: str) -> None:
    problem = cron_problem(expression, V061)
    assert problem is not None and reason in problem, problem


@pytest.mark.parametrize(
    ("duration", "accepted"),
    [
        ("5m", True),
        ("-5m", True),
        ("+1h", True),
        ("0", True),
        ("1.5h", True),
        (".5s", True),
        ("5.s", True),
        ("1h2m3s4ms5us6ns", True),
        ("3\u00b5s", True),
        ("2562047h", True),
        ("2562048h", False),  # over Go's int64 nanoseconds
        ("5", False),
        ("m", False),
        (".s", False),
        ("5d", False),
        ("5M", False),
        ("", False),
        ("-", False),
    ],
)
def test_bare_durations_follow_go_parse_duration(duration: str, accepted: bool) -> None:
    assert (cron_problem(duration, V061) is None) is accepted


# Names near the database's own: folders, the right/ and posix/ copies, paths spelled another way, data files.
ZONE_LOOKALIKES = ["Europe", "right/UTC", "posix/UTC", "posixrules", "Europe/../UTC", "Europe//Paris", "./UTC", "/UTC"]
ZONE_LOOKALIKES += ["zone.tab", "tzdata.zi", "leapseconds", "Mars/Olympus", "Europe/Paris\0", "Europe/paris"]


@pytest.mark.parametrize("name", ["Europe/Berlin", "America/Argentina/Buenos_Aires", "US/Pacific", *ZONE_LOOKALIKES])
def test_a_time_zone_is_accepted_exactly_when_the_tz_database_lists_it(name: str) -> None:
    import zoneinfo

    listed = zoneinfo.available_timezones()
    problem = cron_problem(f"TZ={name} 0 3 * * *", V061)
    assert (problem is None) == (not listed or name in listed), problem
