"""Navidrome's naming rules (ndpgen's toJSONName and ToSnakeCase), reproduced for the generator."""

from __future__ import annotations


def to_json_name(name: str) -> str:
    """Navidrome's toJSONName: lowerCamel with acronyms lowered (scheduleID -> scheduleId)."""
    out: list[str] = []
    for i, ch in enumerate(name):
        if i == 0:
            out.append(ch.lower())
            continue
        prev_upper = name[i - 1].isupper()
        next_lower = i + 1 < len(name) and name[i + 1].islower()
        # Inside an acronym the letter is lowered; its last letter before a lower-case run
        # starts the next word and stays upper-case.
        out.append(ch.lower() if ch.isupper() and prev_upper and not next_lower else ch)
    return "".join(out)


def to_snake_case(name: str) -> str:
    """Navidrome's ToSnakeCase (ScheduleID -> schedule_id, GetArtistMBID -> get_artist_mbid)."""
    out: list[str] = []
    for i, ch in enumerate(name):
        if i > 0 and "A" <= ch <= "Z":
            prev_upper = "A" <= name[i - 1] <= "Z"
            next_upper = i + 1 < len(name) and "A" <= name[i + 1] <= "Z"
            at_end = i + 1 == len(name)
            if not prev_upper or (not next_upper and not at_end):
                out.append("_")
        out.append(ch)
    return "".join(out).lower()
