"""The thresholds a school uses to turn progress into a RAG colour: :class:`RagPolicy`.

A policy is data, validated when it is built or loaded: every field that is out of range
is reported with its name, so a school's settings file fails with
``green_margin: 0.3 must not be more than amber_margin (0.25)`` rather than with a wrong
colour months later.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from cpdcore.domain.cycles import CyclePhase
from cpdcore.domain.identifiers import SchoolId, TrustId
from cpdcore.domain.timestamps import aware_utc
from cpdcore.errors import Problem, ValidationError

__all__ = ["DEFAULT_POLICY", "RagPolicy", "RagPolicySetting", "policy_problems"]


def _names(values: Any) -> tuple[str, ...]:
    return tuple(values)


def _phases(values: Any) -> tuple[CyclePhase, ...]:
    phases = []
    for index, value in enumerate(values):
        if isinstance(value, CyclePhase):
            phases.append(value)
            continue
        try:
            phases.append(CyclePhase(value))
        except ValueError:
            accepted = ", ".join(p.value for p in CyclePhase)
            raise ValidationError.single(
                f"quiet_phases[{index}]", f"{value!r} is not a phase; accepted: {accepted}"
            ) from None
    return tuple(phases)


@attrs.frozen
class RagPolicy:
    """One school's (or the trust's) RAG thresholds; the defaults are cpdcore's rules.

    Progress is a fraction between 0 and 1: ``actual`` is how far the success criteria
    have moved from baseline to target, ``expected`` the share of the objective's school
    days already gone. The status is GREEN while ``actual >= expected - green_margin``,
    AMBER while ``actual >= expected - amber_margin`` and RED below that.
    """

    green_margin: Decimal = Decimal("0.10")
    """How far behind the expected progress still counts as on track (GREEN)."""
    amber_margin: Decimal = Decimal("0.25")
    """How far behind still counts as some concern (AMBER); further behind is RED."""
    min_progress_points: int = 2
    """Fewer measurements than this: the colour comes from milestones and evidence only."""
    milestone_red_count: int = 2
    """This many overdue milestones make an objective RED (one makes it at least AMBER)."""
    milestone_red_days: int = 28
    """A milestone overdue by more than this many calendar days makes it RED."""
    quiet_days: int = 42
    """No progress update and no released evidence for this many days: at least AMBER."""
    quiet_phases: tuple[CyclePhase, ...] = attrs.field(
        default=(CyclePhase.MONITORING,), converter=_phases
    )
    """The cycle phases in which the "no recent evidence" rule applies."""
    max_override_days: int = 90
    """The longest an appraiser's override may last, in calendar days from the day it is set."""
    may_improve: tuple[str, ...] = attrs.field(default=(), converter=_names)
    """Names of plugin rules allowed to make a status better; ``"*"`` allows every plugin."""
    disabled_rules: tuple[str, ...] = attrs.field(default=(), converter=_names)
    """Names of plugin rules this school does not run (built-in rules cannot be disabled)."""

    def __attrs_post_init__(self) -> None:
        problems = policy_problems(self)
        if problems:
            raise ValidationError(problems)

    def allows_improvement(self, rule_name: str) -> bool:
        """True if the plugin rule ``rule_name`` may make a status better."""
        return "*" in self.may_improve or rule_name in self.may_improve


def policy_problems(policy: RagPolicy) -> list[Problem]:
    """Everything out of range in ``policy``, each problem under its field name."""
    problems: list[Problem] = []
    for name in ("green_margin", "amber_margin"):
        value: Decimal = getattr(policy, name)
        if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
            problems.append(Problem(name, f"{value} is not accepted; give a fraction from 0 to 1"))
    if not problems and policy.green_margin > policy.amber_margin:
        problems.append(
            Problem(
                "green_margin",
                f"{policy.green_margin} must not be more than amber_margin "
                f"({policy.amber_margin}): GREEN is the narrower band",
            )
        )
    limits = {
        "min_progress_points": (1, 100),
        "milestone_red_count": (1, 100),
        "milestone_red_days": (0, 366),
        "quiet_days": (1, 366),
        "max_override_days": (1, 366),
    }
    for name, (low, high) in limits.items():
        value_int = getattr(policy, name)
        if isinstance(value_int, bool) or not isinstance(value_int, int):
            problems.append(Problem(name, f"{value_int!r} is not a whole number"))
        elif not low <= value_int <= high:
            problems.append(
                Problem(name, f"{value_int} is not accepted; give a whole number {low} to {high}")
            )
    for name in ("may_improve", "disabled_rules"):
        for index, rule in enumerate(getattr(policy, name)):
            if not isinstance(rule, str) or not rule.strip():
                problems.append(Problem(f"{name}[{index}]", "a rule name must be non-empty text"))
    return problems


DEFAULT_POLICY = RagPolicy()
"""cpdcore's default thresholds (the ones in the explanation page)."""


@attrs.frozen
class RagPolicySetting:
    """A stored RAG policy: a school's own (``school_id``) or the trust default (``None``)."""

    id: str
    trust_id: TrustId
    policy: RagPolicy
    set_by: str
    set_at: datetime = attrs.field(validator=aware_utc)
    school_id: SchoolId | None = None
    version: int = 0
