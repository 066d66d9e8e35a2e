"""The vocabulary of RAG rules: colours, what a rule says, what was recorded, the protocol.

A rule looks at the :class:`RagFacts` of one objective on one day and returns a
:class:`RuleOutcome` (or ``None`` when it has nothing to say). The engine applies it to
the status so far and records a :class:`RuleResult`: the rule's name, the colour it asked
for, the inputs it read, the threshold it compared them with, and the status before and
after, so that every colour can be traced to the rule that decided it.

Plugin rules (hook ``cpdcore_rag_rules``) implement :class:`RagRule`. They may make a
status worse (:attr:`Effect.WORSEN`) or only add an explanation (:attr:`Effect.NOTE`);
:attr:`Effect.IMPROVE` is applied only when the school's policy names the rule in
``may_improve``. See :func:`order_plugin_rules` for the order they run in.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

import attrs

from cpdcore.domain.cycles import CyclePhase
from cpdcore.domain.evidence import Evidence
from cpdcore.domain.objectives import (
    MilestoneStatus,
    Objective,
    ObjectiveStatus,
    ObjectiveTerms,
    Outcome,
)
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.errors import ConfigurationError

if TYPE_CHECKING:
    from cpdcore.domain.rag.pacing import CriterionProgress, SchoolDays
    from cpdcore.domain.rag.policy import RagPolicy

__all__ = [
    "BUILTIN_RULES",
    "Effect",
    "RagColour",
    "RagFacts",
    "RagRule",
    "RuleOutcome",
    "RuleResult",
    "better",
    "order_plugin_rules",
    "worse",
]


class RagColour(enum.Enum):
    """A RAG status. BLUE means complete; NOT_STARTED is given before monitoring begins."""

    NOT_STARTED = "not_started"
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    BLUE = "blue"

    @property
    def rank(self) -> int:
        """Position on the scale RED (0) < AMBER < GREEN < BLUE (3); NOT_STARTED is -1."""
        return _RANK[self.value]


# Keyed by value, not member: enum members hash in Python code, strings in C, and these
# comparisons run several times per status.
_RANK = {"not_started": -1, "red": 0, "amber": 1, "green": 2, "blue": 3}


def worse(a: RagColour, b: RagColour) -> RagColour:
    """The worse of two colours on the RED < AMBER < GREEN < BLUE scale."""
    return a if _RANK[a.value] <= _RANK[b.value] else b


def better(a: RagColour, b: RagColour) -> RagColour:
    """The better of two colours on the RED < AMBER < GREEN < BLUE scale."""
    return a if _RANK[a.value] >= _RANK[b.value] else b


class Effect(enum.Enum):
    """What a rule's colour does to the status so far."""

    SET = "set"
    """Sets the colour (built-in rules only: the starting colour, BLUE, NOT_STARTED)."""
    WORSEN = "worsen"
    """The status becomes at most this good: ``worse(status, colour)``."""
    IMPROVE = "improve"
    """The status becomes at least this good; only if the policy allows the rule to."""
    NOTE = "note"
    """No colour: the message is added to the explanation."""


@attrs.frozen
class RuleOutcome:
    """What a rule says about one objective on one day.

    ``inputs`` are the data it read and ``threshold`` what it compared them with, as short
    text for people (``{"overdue": "m1 by 30 days"}``, ``"more than 28 days: RED"``).
    """

    effect: Effect
    message: str
    colour: RagColour | None = None
    inputs: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    threshold: str = ""


@attrs.frozen
class RuleResult:
    """One rule as applied: what it asked for and what it did to the status."""

    rule: str
    effect: Effect
    colour: RagColour | None
    message: str
    inputs: Mapping[str, str] = attrs.field(hash=False)
    """The data the rule read (left out of the hash, which stays usable: equal results
    still hash alike)."""
    threshold: str
    before: RagColour | None
    """The status before this rule (``None`` for the first rule applied)."""
    after: RagColour
    """The status after this rule."""
    note: str = ""
    """Why the rule's colour was not applied, when it was not (e.g. improvement refused)."""

    @property
    def changed(self) -> bool:
        """True if this rule changed the status (the first rule always sets it)."""
        return self.before is not self.after


@attrs.frozen
class RagFacts:
    """Everything the rules may read about one objective on ``as_of``.

    ``terms``, ``status``, ``outcome`` and ``milestones`` are as they stood on ``as_of``
    (edits, agreements and reviews after that day are left out), ``progress`` and
    ``evidence`` only what was measured or captured by then; ``evidence`` holds only items
    linked to the objective and released for appraisal.
    """

    objective: Objective
    terms: ObjectiveTerms
    status: ObjectiveStatus | None
    """The objective's life-cycle status on ``as_of`` (``None``: not created yet)."""
    outcome: Outcome | None
    ever_agreed: bool
    as_of: date
    phase: CyclePhase
    policy: RagPolicy
    calendar: SchoolDays
    progress: tuple[ProgressUpdate, ...]
    evidence: tuple[Evidence, ...]
    criteria: tuple[CriterionProgress, ...]
    milestones: tuple[MilestoneStatus, ...]
    school_days_elapsed: int
    school_days_total: int
    expected: Decimal
    actual: Decimal | None
    """Weighted progress of the criteria (``None`` when the objective has none)."""
    last_activity: date | None
    """The latest progress measurement or released evidence date on or before ``as_of``."""

    @property
    def progress_points(self) -> int:
        """Number of measurements of the objective's criteria up to ``as_of``."""
        return len(self.progress)


class RagRule(Protocol):
    """A RAG rule contributed by a plugin through ``cpdcore_rag_rules``.

    ``name`` must be unique (it names the rule in every explanation and in the policy's
    ``may_improve`` and ``disabled_rules``); ``evaluate`` must be pure: the same facts
    give the same outcome, with no clock reads or I/O.
    """

    @property
    def name(self) -> str:
        """A short unique name such as ``"no_cpd_logged"``."""
        ...

    def evaluate(self, facts: RagFacts) -> RuleOutcome | None:
        """What the rule says about the objective in ``facts`` (``None``: nothing)."""
        ...


BUILTIN_RULES: tuple[str, ...] = (
    "not_started",
    "complete",
    "progress_pace",
    "milestones_and_evidence_only",
    "past_deadline",
    "overdue_milestones",
    "no_recent_evidence",
)
"""The built-in rules, in the order they are applied (plugin rules come after)."""


def order_plugin_rules(rules: Iterable[RagRule], policy: RagPolicy) -> tuple[RagRule, ...]:
    """Plugin rules in the order they run: by name, leaving out the policy's disabled ones.

    Names must be unique and may not reuse a built-in rule's name; a clash raises
    :class:`~cpdcore.errors.ConfigurationError` naming both.
    """
    seen: dict[str, RagRule] = {}
    for rule in rules:
        name = rule.name
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError(f"RAG rule {rule!r} has no name; give it a non-empty name")
        if name in BUILTIN_RULES:
            raise ConfigurationError(
                f"RAG rule {rule!r} is named {name!r}, the name of a built-in rule; "
                f"choose another name (built-in: {', '.join(BUILTIN_RULES)})"
            )
        if name in seen:
            raise ConfigurationError(
                f"two RAG rules are named {name!r} ({seen[name]!r} and {rule!r}); "
                "rule names must be unique"
            )
        seen[name] = rule
    disabled = set(policy.disabled_rules)
    return tuple(seen[name] for name in sorted(seen) if name not in disabled)
