"""Loading school calendars: the shipped England default and a school's own JSON file.

Reading package data and files is I/O, so it lives here; :mod:`cpdcore.domain.calendar`
only receives the parsed data. The England default is a *typical* local-authority pattern
for 2025-26, 2026-27 and 2027-28; schools load their own dates with :func:`load_calendar`
and layer them over the trust default with
:func:`~cpdcore.domain.calendar.apply_overrides`.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from cpdcore.domain.calendar import SchoolCalendar, calendar_from_dict
from cpdcore.errors import ValidationError

__all__ = ["ENGLAND_DEFAULT", "england_default", "load_calendar", "shipped_calendar"]

ENGLAND_DEFAULT = "england"
"""Name of the shipped England calendar (``cpdcore/data/calendars/england.json``)."""


def _parse(text: str, where: str) -> SchoolCalendar:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError.single(
            f"{where}:{exc.lineno}", f"not valid JSON ({exc.msg}); a calendar is a JSON object"
        ) from None
    if not isinstance(data, dict):
        raise ValidationError.single(where, "a calendar must be a JSON object")
    return calendar_from_dict(data, where=where)


def shipped_calendar(name: str) -> SchoolCalendar:
    """A calendar shipped in ``cpdcore/data/calendars`` by name (e.g. ``"england"``)."""
    folder = resources.files("cpdcore") / "data" / "calendars"
    available = sorted(p.name.removesuffix(".json") for p in folder.iterdir() if p.is_file())
    if name not in available:
        raise ValidationError.single(
            "calendar", f"no shipped calendar {name!r}; available: {', '.join(available)}"
        )
    return _parse((folder / f"{name}.json").read_text(encoding="utf-8"), f"{name}.json")


def england_default() -> SchoolCalendar:
    """The England default pattern (1 Sep – 31 Aug, three terms) for 2025-26 to 2027-28."""
    return shipped_calendar(ENGLAND_DEFAULT)


def load_calendar(path: str | Path) -> SchoolCalendar:
    """A school's own calendar from a JSON file in the shape of the shipped ones."""
    file = Path(path)
    return _parse(file.read_text(encoding="utf-8"), file.name)
