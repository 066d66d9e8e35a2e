"""The status timeline of an objective, recomputed from its records for any range of days.

Nothing is stored: the same records give the same timeline, so a past status can be
checked at any time. Consecutive days with the same effective colour, computed colour,
override and deciding rules form one :class:`TimelineSpan`; a change between spans is a
:class:`RagTransition` (the facade sends them as events such as ``rag.turned_red``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from itertools import pairwise

import attrs

from cpdcore.domain.cycles import AppraisalCycle
from cpdcore.domain.evidence import Evidence, released_for_appraisal
from cpdcore.domain.objectives import Objective
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.domain.rag.assessment import RagStatus, assess_facts, facts_for
from cpdcore.domain.rag.overrides import RagOverride, active_override
from cpdcore.domain.rag.pacing import SchoolDayIndex, SchoolDays
from cpdcore.domain.rag.policy import RagPolicy
from cpdcore.domain.rag.rules import RagColour, RagRule, order_plugin_rules
from cpdcore.errors import ValidationError

__all__ = ["RagTransition", "TimelineSpan", "event_name", "timeline", "transitions"]

MAX_TIMELINE_DAYS = 3 * 366
"""The longest range :func:`timeline` recomputes in one call (three years of days)."""


@attrs.frozen
class TimelineSpan:
    """Days ``starts_on..ends_on`` (inclusive) with the same status; ``first`` is the
    computed status on ``starts_on`` with its full explanation."""

    starts_on: date
    ends_on: date
    colour: RagColour
    """The effective colour (the override's while one is in force)."""
    first: RagStatus
    override_id: str | None = None

    @property
    def computed(self) -> RagColour:
        """The computed colour over the span."""
        return self.first.colour


@attrs.frozen
class RagTransition:
    """The effective colour changed on ``on`` from ``before`` to ``after``."""

    on: date
    before: RagColour
    after: RagColour
    decided_by: tuple[str, ...]
    override_id: str | None = None

    @property
    def event(self) -> str:
        """The event name a host is notified with, e.g. ``rag.turned_red``."""
        return event_name(self.after)


def event_name(colour: RagColour) -> str:
    """``rag.turned_<colour>`` (``rag.turned_not_started`` when assessment stops)."""
    return f"rag.turned_{colour.value}"


def timeline(  # noqa: PLR0917 (the inputs of assess plus the range)
    objective: Objective,
    progress: Iterable[ProgressUpdate],
    evidence: Iterable[Evidence],
    cycle: AppraisalCycle,
    calendar: SchoolDays,
    policy: RagPolicy,
    start: date,
    end: date,
    *,
    rules: Sequence[RagRule] = (),
    overrides: Iterable[RagOverride] = (),
    released: Callable[[Evidence], bool] = released_for_appraisal,
) -> tuple[TimelineSpan, ...]:
    """The status of ``objective`` on every day from ``start`` to ``end``, as spans."""
    if end < start:
        raise ValidationError.single("end", f"{end} is before start {start}")
    if (end - start).days >= MAX_TIMELINE_DAYS:
        raise ValidationError.single(
            "end", f"{start}..{end} is longer than {MAX_TIMELINE_DAYS} days; ask for less"
        )
    oid = objective.id
    mine = [p for p in progress if p.objective_id == oid]
    items = [e for e in evidence if oid in e.objective_ids]
    kept = list(overrides)
    ordered = order_plugin_rules(rules, policy)
    index = SchoolDayIndex(
        calendar,
        min(start, objective.terms.starts_on),
        max(end, objective.terms.due_on),
    )
    spans: list[TimelineSpan] = []
    day = start
    key: tuple[object, ...] | None = None
    while day <= end:
        facts = facts_for(objective, mine, items, cycle, index, policy, day, released=released)
        status = assess_facts(facts, ordered)
        override = active_override(kept, day)
        colour = status.colour if override is None else override.colour
        override_id = None if override is None else override.id
        new_key = (colour, status.colour, override_id, status.decided_by)
        if new_key == key:
            spans[-1] = attrs.evolve(spans[-1], ends_on=day)
        else:
            spans.append(TimelineSpan(day, day, colour, status, override_id))
            key = new_key
        day += timedelta(days=1)
    return tuple(spans)


def transitions(spans: Sequence[TimelineSpan]) -> tuple[RagTransition, ...]:
    """Where the effective colour changed between consecutive spans."""
    return tuple(
        RagTransition(
            on=current.starts_on,
            before=previous.colour,
            after=current.colour,
            decided_by=current.first.decided_by,
            override_id=current.override_id,
        )
        for previous, current in pairwise(spans)
        if previous.colour is not current.colour
    )
