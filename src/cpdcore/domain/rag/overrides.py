"""Overrides: an appraiser's judgement set beside the computed status, for a limited time.

An override never replaces the computed status: both are kept and shown side by side
(:class:`EffectiveRag`). It needs a reason and an expiry date at most
``policy.max_override_days`` (90 by default) after the day it is set; the day after it
expires, the computed status is the effective one again. Ending an override early keeps
the record, with who ended it and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import attrs

from cpdcore.domain.identifiers import ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.rag.assessment import RagStatus
from cpdcore.domain.rag.policy import RagPolicy
from cpdcore.domain.rag.rules import RagColour
from cpdcore.domain.timestamps import aware_utc
from cpdcore.errors import Problem, ValidationError

__all__ = [
    "EffectiveRag",
    "RagOverride",
    "active_override",
    "check_override",
    "effective_status",
    "override_problems",
]

_SETTABLE = (RagColour.BLUE, RagColour.GREEN, RagColour.AMBER, RagColour.RED)


@attrs.frozen
class RagOverride:
    """A status set by the appraisee's appraiser or a school leader, from ``starts_on``
    until ``expires_on`` (inclusive) unless ended earlier (``ended_on``: no longer in force
    from that day)."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    objective_id: ObjectiveId
    appraisee_id: StaffId
    colour: RagColour
    reason: str
    starts_on: date
    expires_on: date
    set_by: str
    set_at: datetime = attrs.field(validator=aware_utc)
    ended_on: date | None = None
    ended_by: str | None = None
    end_reason: str = ""
    expiry_recorded: bool = False
    """True once the expiry has been written to the audit log."""
    version: int = 0

    def active_on(self, day: date) -> bool:
        """True if the override is in force on ``day``."""
        if day < self.starts_on or day > self.expires_on:
            return False
        return self.ended_on is None or day < self.ended_on

    def expired_by(self, day: date) -> bool:
        """True if the override ran its full course and has lapsed by ``day``."""
        return self.ended_on is None and day > self.expires_on


def override_problems(
    colour: RagColour, reason: str, starts_on: date, expires_on: date, policy: RagPolicy
) -> list[Problem]:
    """What is wrong with an override request, each problem under its field name."""
    problems: list[Problem] = []
    if colour not in _SETTABLE:
        accepted = ", ".join(c.value for c in _SETTABLE)
        problems.append(Problem("colour", f"{colour.value} cannot be set; accepted: {accepted}"))
    if not reason.strip():
        problems.append(
            Problem(
                "reason",
                "an override needs a reason (what the appraiser knows that the data do not)",
            )
        )
    longest = policy.max_override_days
    if expires_on < starts_on:
        problems.append(
            Problem("expires_on", f"{expires_on} is before the override starts on {starts_on}")
        )
    elif (expires_on - starts_on).days > longest:
        problems.append(
            Problem(
                "expires_on",
                f"{expires_on} is {(expires_on - starts_on).days} days after {starts_on}; "
                f"an override may last at most {longest} days (until {_plus(starts_on, longest)})",
            )
        )
    return problems


def _plus(day: date, days: int) -> date:
    return date.fromordinal(day.toordinal() + days)


def check_override(
    colour: RagColour, reason: str, starts_on: date, expires_on: date, policy: RagPolicy
) -> None:
    """Raise ``ValidationError`` with every problem of :func:`override_problems`."""
    problems = override_problems(colour, reason, starts_on, expires_on, policy)
    if problems:
        raise ValidationError(problems)


def active_override(overrides: Iterable[RagOverride], day: date) -> RagOverride | None:
    """The override in force on ``day`` (the most recently set one if several are)."""
    active = [o for o in overrides if o.active_on(day)]
    if not active:
        return None
    return max(active, key=lambda o: (o.set_at, o.id))


@attrs.frozen
class EffectiveRag:
    """The computed status and, when one is in force, the override shown beside it."""

    computed: RagStatus
    override: RagOverride | None = None

    @property
    def colour(self) -> RagColour:
        """The colour to show: the override's while it is in force, else the computed one."""
        return self.override.colour if self.override is not None else self.computed.colour

    @property
    def overridden(self) -> bool:
        """True while an override is in force."""
        return self.override is not None


def effective_status(computed: RagStatus, overrides: Iterable[RagOverride]) -> EffectiveRag:
    """``computed`` with the override in force on its ``as_of``, if any."""
    return EffectiveRag(computed, active_override(overrides, computed.as_of))
