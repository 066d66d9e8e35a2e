"""RAG (Blue/Red/Amber/Green) status of appraisal objectives, explained rule by rule.

RAG is a conversation aid: the reason matters as much as the colour, so every status
lists the rules that fired, with the data they read and the threshold they used.

* :func:`assess` gives one objective's :class:`RagStatus` on a day; it is pure.
* :class:`RagPolicy` holds a school's thresholds (defaults in :data:`DEFAULT_POLICY`).
* Expected progress is counted in school days through any :class:`SchoolDays` calendar;
  :class:`SchoolDayIndex` makes repeated counting fast for batches.
* :class:`RagAssessor` (and :func:`assess_many`) is the batch path: many objectives on one
  day, equal status for status to :func:`assess`, about twice as fast.
* Plugin rules implement :class:`RagRule` and are returned by the ``cpdcore_rag_rules``
  hook: an object with a unique ``name`` and ``evaluate(facts) -> RuleOutcome | None``,
  reading :class:`RagFacts` and returning an :class:`Effect` (``worsen``, ``note``, or
  ``improve`` when the policy allows it), a colour, a message, its inputs and threshold.
* :class:`RagOverride` is an appraiser's time-limited override; :func:`effective_status`
  puts it beside the computed status. :func:`timeline` recomputes the status day by day.
"""

from cpdcore.domain.rag.assessment import RagStatus, assess, assess_facts, facts_for, phase_on
from cpdcore.domain.rag.batch import RagAssessor, assess_many
from cpdcore.domain.rag.history import (
    RagTransition,
    TimelineSpan,
    event_name,
    timeline,
    transitions,
)
from cpdcore.domain.rag.overrides import (
    EffectiveRag,
    RagOverride,
    active_override,
    check_override,
    effective_status,
    override_problems,
)
from cpdcore.domain.rag.pacing import (
    CriterionProgress,
    SchoolDayIndex,
    SchoolDays,
    WeekdayCalendar,
    actual_progress,
    criterion_progress,
    expected_progress,
    school_days_gone,
)
from cpdcore.domain.rag.policy import DEFAULT_POLICY, RagPolicy, RagPolicySetting, policy_problems
from cpdcore.domain.rag.rules import (
    BUILTIN_RULES,
    Effect,
    RagColour,
    RagFacts,
    RagRule,
    RuleOutcome,
    RuleResult,
    better,
    order_plugin_rules,
    worse,
)

__all__ = [
    "BUILTIN_RULES",
    "DEFAULT_POLICY",
    "CriterionProgress",
    "Effect",
    "EffectiveRag",
    "RagAssessor",
    "RagOverride",
    "RagTransition",
    "TimelineSpan",
    "active_override",
    "check_override",
    "effective_status",
    "event_name",
    "override_problems",
    "timeline",
    "transitions",
    "RagColour",
    "RagFacts",
    "RagPolicy",
    "RagPolicySetting",
    "RagRule",
    "RagStatus",
    "RuleOutcome",
    "RuleResult",
    "SchoolDayIndex",
    "SchoolDays",
    "WeekdayCalendar",
    "actual_progress",
    "assess",
    "assess_facts",
    "assess_many",
    "better",
    "criterion_progress",
    "expected_progress",
    "facts_for",
    "order_plugin_rules",
    "phase_on",
    "policy_problems",
    "school_days_gone",
    "worse",
]
