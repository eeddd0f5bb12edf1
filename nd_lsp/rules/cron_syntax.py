"""Cron expressions as Navidrome's scheduler parses them (robfig/cron v3, shaped by a spec's CronGrammar)."""

from __future__ import annotations

import functools
import re

from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.specs.model import CronGrammar

TIMEZONE_PREFIXES = ("TZ=", "CRON_TZ=")
DESCRIPTORS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
EVERY = "@every "
# Go's time.Duration is an int64 of nanoseconds.
MAX_DURATION_NS = (1 << 63) - 1
DURATION_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MONTH_NAMES = {name: number for number, name in enumerate(MONTHS, start=1)}
WEEKDAY_NAMES = {name: number for number, name in enumerate(WEEKDAYS)}
# Regular expressions as text, compiled on first use (re caches them): a check compiles only those it needs.
# strconv.Atoi: an optional sign and decimal digits; strconv.ParseUint(s, 10, 0): digits only.
ATOI = r"[+-]?[0-9]+"
DIGITS = r"[0-9]+"
# One `<number><unit>` piece of a Go duration: digits, an optional fraction, then the unit letters.
DURATION_PIECE = r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)"


@frozen_dataclass
class FieldBounds:
    """The range of one cron field, and the names it accepts (months, weekdays)."""

    name: str
    low: int
    high: int
    names: dict[str, int] | None = None


SECOND = FieldBounds("second", 0, 59)
MINUTE = FieldBounds("minute", 0, 59)
HOUR = FieldBounds("hour", 0, 23)
DAY_OF_MONTH = FieldBounds("day of month", 1, 31)
MONTH = FieldBounds("month", 1, 12, MONTH_NAMES)
DAY_OF_WEEK = FieldBounds("day of week", 0, 6, WEEKDAY_NAMES)
ALL_FIELDS = (SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK)


class CronError(ValueError):
    """Why the scheduler rejects an expression (worded like the host's error where it helps)."""


def cron_problem(expression: str, grammar: CronGrammar) -> str | None:
    """The reason the scheduler of a release with `grammar` rejects `expression`; None when it accepts it."""
    try:
        check_cron(expression, grammar)
    except CronError as exc:
        return str(exc)
    return None


def check_cron(expression: str, grammar: CronGrammar) -> None:
    """Raise CronError when the scheduler rejects `expression`.

    Releases with seconds/`~`/durations wrap robfig's parser in Navidrome's own `ParseCrontab`;
    older ones hand the expression to robfig's default parser unchanged.
    """
    if expression == "":
        raise CronError("empty spec string")
    if grammar.bare_duration and _is_go_duration(expression):
        expression = EVERY + expression
    if grammar.random and "~" in expression:
        expression = _resolve_random_fields(expression, grammar)
    _robfig_parse(expression, grammar)


def _robfig_parse(spec: str, grammar: CronGrammar) -> None:
    if spec == "":
        raise CronError("empty spec string")
    if grammar.timezone_prefix and spec.startswith(TIMEZONE_PREFIXES):
        space = spec.find(" ")
        if space == -1:
            # robfig slices up to the missing space and panics: the call fails either way.
            raise CronError("a time zone prefix needs a space and a schedule after it")
        location = spec[spec.find("=") + 1 : space]
        if not _is_time_zone(location):
            raise CronError(f"provided bad location {location}")
        spec = spec[space:].strip()
    if spec.startswith("@"):
        if not grammar.descriptors:
            raise CronError(f"parser does not accept descriptors: {spec}")
        _check_descriptor(spec)
        return
    fields = _normalized_fields(spec.split(), grammar)
    for text, bounds in zip(fields, ALL_FIELDS, strict=True):
        _check_field(text, bounds)


def _check_descriptor(descriptor: str) -> None:
    if descriptor in DESCRIPTORS:
        return
    if descriptor.startswith(EVERY):
        if not _is_go_duration(descriptor[len(EVERY) :]):
            raise CronError(f"failed to parse duration {descriptor}")
        return
    raise CronError(f"unrecognized descriptor: {descriptor}")


def _normalized_fields(fields: list[str], grammar: CronGrammar) -> list[str]:
    """Six fields, seconds first: the optional seconds field defaults to 0."""
    fewest, most = (5, 6) if grammar.seconds else (5, 5)
    if not fewest <= len(fields) <= most:
        expected = f"exactly {fewest}" if fewest == most else f"{fewest} to {most}"
        raise CronError(f"expected {expected} fields, found {len(fields)}")
    return fields if len(fields) == 6 else ["0", *fields]


def _check_field(text: str, bounds: FieldBounds) -> None:
    # strings.FieldsFunc drops empty pieces, so "1,,2" is two ranges.
    for expression in (piece for piece in text.split(",") if piece):
        _check_range(expression, bounds)


def _check_range(expression: str, bounds: FieldBounds) -> None:
    range_and_step = expression.split("/")
    low_and_high = range_and_step[0].split("-")
    if low_and_high[0] in ("*", "?"):
        start, end = bounds.low, bounds.high
    else:
        start = _int_or_name(low_and_high[0], bounds)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], bounds)
        else:
            raise CronError(f"too many hyphens in {bounds.name} field: {expression}")
    step = 1
    if len(range_and_step) == 2:
        step = _non_negative_int(range_and_step[1])
        if len(low_and_high) == 1:  # "N/step" means "N-max/step"
            end = bounds.high
    elif len(range_and_step) > 2:
        raise CronError(f"too many slashes in {bounds.name} field: {expression}")
    if start < bounds.low:
        raise CronError(f"{bounds.name} {start} is below the minimum {bounds.low}")
    if end > bounds.high:
        raise CronError(f"{bounds.name} {end} is above the maximum {bounds.high}")
    if start > end:
        raise CronError(f"{bounds.name} range starts after it ends: {expression}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expression}")


def _int_or_name(text: str, bounds: FieldBounds) -> int:
    if bounds.names is not None and text.lower() in bounds.names:
        return bounds.names[text.lower()]
    return _non_negative_int(text)


def _non_negative_int(text: str) -> int:
    if not re.fullmatch(ATOI, text):
        raise CronError(f"failed to parse int from {text!r}")
    number = int(text)
    if number < 0:
        raise CronError(f"negative number ({number}) not allowed: {text}")
    return number


def _resolve_random_fields(spec: str, grammar: CronGrammar) -> str:
    """Navidrome's `~` pre-pass: each `a~b` field becomes one value in [a, b]; the rest goes to robfig."""
    prefix = ""
    if spec.startswith(TIMEZONE_PREFIXES):
        space = spec.find(" ")
        if space == -1:
            raise CronError("missing spec after timezone")
        prefix, spec = spec[: space + 1], spec[space:].strip()
    if spec.startswith("@"):
        raise CronError(f"random ~ syntax cannot be used with descriptors: {spec}")
    fields = spec.split()
    if len(fields) not in (5, 6):
        raise CronError(f"expected 5 or 6 fields, found {len(fields)}")
    if len(fields) == 5:
        fields = ["0", *fields]
    resolved = [
        _random_field_value(text, bounds) if "~" in text else text
        for text, bounds in zip(fields, ALL_FIELDS, strict=True)
    ]
    return prefix + " ".join(resolved)


def _random_field_value(text: str, bounds: FieldBounds) -> str:
    if "," in text or "/" in text:
        raise CronError(f"random ~ cannot be combined with lists or steps: {text}")
    first, last = text.split("~", 1)
    low = _random_bound(first, bounds.low, "start")
    high = _random_bound(last, bounds.high, "end")
    if low < bounds.low:
        raise CronError(f"random range start ({low}) below minimum ({bounds.low}): {text}")
    if high > bounds.high:
        raise CronError(f"random range end ({high}) above maximum ({bounds.high}): {text}")
    if low > high:
        raise CronError(f"random range start ({low}) beyond end ({high}): {text}")
    return str(low)


def _random_bound(text: str, default: int, which: str) -> int:
    if text == "":
        return default
    if not re.fullmatch(DIGITS, text):
        raise CronError(f"invalid random range {which}: {text}")
    return int(text)


def _is_go_duration(text: str) -> bool:
    """Whether Go's time.ParseDuration accepts `text` (e.g. "5m", "1h30m", "1.5h", "-2s", "0")."""
    rest = text[1:] if text[:1] in ("+", "-") else text
    if rest == "0":
        return True
    if rest == "":
        return False
    total, position = 0, 0
    while position < len(rest):
        piece = re.compile(DURATION_PIECE).match(rest, position)
        if piece is None or piece.end() == position:
            return False
        whole, fraction, unit_name = piece.group(1), piece.group(2) or "", piece.group(3)
        unit = DURATION_UNITS_NS.get(unit_name)
        if (whole == "" and fraction == "") or unit is None:
            return False
        total += int(whole or "0") * unit
        if fraction:
            total += int(fraction) * unit // 10 ** len(fraction)
        if total > MAX_DURATION_NS + 1:
            return False
        position = piece.end()
    return total <= MAX_DURATION_NS or text.startswith("-")


@functools.lru_cache(maxsize=1)
def _known_time_zones() -> frozenset[str]:
    try:
        import zoneinfo

        return frozenset(zoneinfo.available_timezones())
    except Exception:  # no zoneinfo or no tz database: every name is accepted
        return frozenset()


def _is_time_zone(name: str) -> bool:
    """Go's time.LoadLocation: "" and "UTC" mean UTC, "Local" the server's zone, else an IANA name."""
    if name in ("", "UTC", "Local") or _zone_file(name):
        return True
    known = _known_time_zones()  # opens every file of the database: only for a name not found at once
    return not known or name in known


def _zone_file(name: str) -> bool:
    """Whether `zoneinfo.available_timezones()` lists name, found by opening its one file: a file starting
    with `TZif` on the time zone path, reached through real folders (the listing does not follow linked
    ones), outside `right/` and `posix/`, and not `posixrules`. False means "not found this way"."""
    import os
    import zoneinfo

    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts) or parts[0] in ("right", "posix") or name == "posixrules":
        return False
    for root in zoneinfo.TZPATH:
        folder = root
        for part in parts[:-1]:
            folder = os.path.join(folder, part)
            if os.path.islink(folder) or not os.path.isdir(folder):
                break
        else:
            try:
                with open(os.path.join(folder, parts[-1]), "rb") as file:
                    if file.read(4) == b"TZif":
                        return True
            except (OSError, ValueError):  # no such file, a folder, a name holding NUL
                continue
    return False
