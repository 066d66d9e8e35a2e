"""School calendar use cases: the trust's default calendar and each school's changes to it.

A trust stores one default :class:`~cpdcore.domain.calendar.SchoolCalendar` (until it does,
the shipped England default stands in); a school stores
:class:`~cpdcore.domain.calendar.CalendarOverrides` (its own INSET days, a term that starts
later). :meth:`CalendarUseCases.school_calendar` is the base with the school's changes
applied, which RAG statuses count school days in.

Who may do what: trust leaders and administrators set the trust calendar; they and the
school's own leaders set a school's overrides. Anyone in the trust may read a calendar.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import attrs

from cpdcore.domain.calendar import (
    CalendarOverrides,
    CalendarSetting,
    SchoolCalendar,
    apply_overrides,
    calendar_from_dict,
    overrides_from_dict,
)
from cpdcore.domain.identifiers import SchoolId
from cpdcore.domain.organisation import Role, School
from cpdcore.services.context import Transaction, UseCases

__all__ = ["CalendarSetting", "CalendarUseCases", "calendar_setting_id", "stored_calendar"]

_TRUST_ID = "trust"
_TRUST_SETTERS = frozenset({Role.TRUST_LEADER, Role.ADMINISTRATOR})
_SCHOOL_SETTERS = frozenset({Role.SCHOOL_LEADER, Role.TRUST_LEADER, Role.ADMINISTRATOR})


@cache
def _england() -> SchoolCalendar:
    # Parsed once per process: the shipped file never changes while running.
    from cpdcore.calendars import england_default

    return england_default()


def calendar_setting_id(school_id: SchoolId | None) -> str:
    """The id of the stored setting: ``"trust"`` or ``"school:<id>"``."""
    return _TRUST_ID if school_id is None else f"school:{school_id}"


def stored_calendar(tx: Transaction, school_id: SchoolId | None) -> SchoolCalendar:
    """The calendar a school works to: the trust's stored default (else the England
    default) with the school's stored overrides applied, read in ``tx``."""
    repo = tx.repo(CalendarSetting)
    trust_id = tx.actor.trust_id
    trust = repo.find(trust_id, _TRUST_ID)
    base = trust.calendar if trust is not None and trust.calendar is not None else _england()
    if school_id is None:
        return base
    own = repo.find(trust_id, calendar_setting_id(school_id))
    if own is None or own.overrides is None:
        return base
    return apply_overrides(base, own.overrides)


class CalendarUseCases(UseCases):
    """Store the trust's default calendar and schools' overrides; read a school's calendar."""

    def set_trust_calendar(self, data: SchoolCalendar | Mapping[str, Any]) -> CalendarSetting:
        """Store the trust's default calendar (replacing any earlier one).

        ``data`` may be JSON-like (the shape of the shipped ``england.json``); every problem
        is reported with its path (``calendar.years[0].terms[1].ends_on``).
        """
        self._require(_TRUST_SETTERS, None, "setting the trust calendar")
        calendar = data if isinstance(data, SchoolCalendar) else calendar_from_dict(data)
        with self._transaction() as tx:
            stored = self._store(tx, None, calendar=calendar)
            tx.audit("calendar.trust_set", "CalendarSetting", stored.id)
        return stored

    def set_school_calendar_overrides(
        self, school_id: SchoolId, overrides: CalendarOverrides | Mapping[str, Any]
    ) -> CalendarSetting:
        """Store a school's changes to the trust calendar (replacing any earlier ones).

        ``overrides`` may be JSON-like (see
        :func:`~cpdcore.domain.calendar.overrides_from_dict`). They are checked against the
        trust calendar now, so a change naming a term the calendar lacks fails here.
        """
        self._require(_SCHOOL_SETTERS, school_id, "setting a school's calendar")
        parsed = (
            overrides
            if isinstance(overrides, CalendarOverrides)
            else overrides_from_dict(overrides)
        )
        with self._transaction() as tx:
            tx.repo(School).get(self.actor.trust_id, school_id)
            apply_overrides(stored_calendar(tx, None), parsed)
            stored = self._store(tx, school_id, overrides=parsed)
            tx.audit("calendar.school_set", "CalendarSetting", stored.id, school_id=school_id)
        return stored

    def school_calendar(self, school_id: SchoolId | None = None) -> SchoolCalendar:
        """The calendar ``school_id`` works to (the trust default when ``None``)."""
        with self._transaction() as tx:
            return stored_calendar(tx, school_id)

    def _store(
        self,
        tx: Transaction,
        school_id: SchoolId | None,
        *,
        calendar: SchoolCalendar | None = None,
        overrides: CalendarOverrides | None = None,
    ) -> CalendarSetting:
        repo = tx.repo(CalendarSetting)
        setting = CalendarSetting(
            id=calendar_setting_id(school_id),
            trust_id=self.actor.trust_id,
            set_by=self.actor.id,
            set_at=tx.now,
            school_id=school_id,
            calendar=calendar,
            overrides=overrides,
        )
        existing = repo.find(self.actor.trust_id, setting.id)
        if existing is None:
            return repo.add(setting)
        return repo.update(attrs.evolve(setting, version=existing.version))
