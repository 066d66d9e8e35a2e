"""The SMART validator: says, letter by letter, what is not Specific, Measurable,
Achievable, Relevant or Time-bound, why, where in the text, and what to write instead.

:func:`assess` is pure and deterministic: no network, no model, no clock. It reads the
objective's text plus a :class:`SmartContext` (cycle dates, calendar, linked SIP priorities
and Teachers' Standards, structured success criteria) and returns an :class:`Assessment`.
The rules follow the rubric in ``SMART_RUBRIC.md``; every rule id is listed in
:data:`RULES`. Schools add their own rules as :class:`SmartCheck` objects through the
``cpdcore_smart_checks`` hook; a check can only make a letter worse, and its name then
appears in the explanation.
"""

from cpdcore.domain.smart.assessment import MAX_TEXT, assess
from cpdcore.domain.smart.model import (
    BUILT_IN,
    Assessment,
    Criterion,
    Finding,
    Letter,
    LetterAssessment,
    Overall,
    SmartCheck,
    SmartContext,
    Span,
    Verdict,
)
from cpdcore.domain.smart.rules import RULES, Rule

__all__ = [
    "BUILT_IN",
    "MAX_TEXT",
    "RULES",
    "Assessment",
    "Criterion",
    "Finding",
    "Letter",
    "LetterAssessment",
    "Overall",
    "Rule",
    "SmartCheck",
    "SmartContext",
    "Span",
    "Verdict",
    "assess",
]
