"""``assess``: run the built-in rules and any plugin checks, and merge their verdicts."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from cpdcore.domain.smart import rules
from cpdcore.domain.smart.model import (
    Assessment,
    Finding,
    Letter,
    LetterAssessment,
    SmartCheck,
    SmartContext,
    Span,
    Verdict,
)

__all__ = ["MAX_TEXT", "assess"]

MAX_TEXT = 20_000
"""Characters read; an objective is a few sentences, so anything longer is cut here to keep
the assessment fast whatever a form lets through."""

_DEFAULT_SUGGESTIONS = {
    Letter.S: "Name a concrete practice and the pupil group it is for.",
    Letter.M: "Add a target value: from what baseline to what level?",
    Letter.A: "Set a target that can be reached within one cycle.",
    Letter.R: "Link the objective to a SIP priority or a Teachers' Standard.",
    Letter.T: "Add a deadline inside the cycle, e.g. 'by the end of the spring term'.",
}


def assess(
    text: str, context: SmartContext | None = None, checks: Sequence[SmartCheck] = ()
) -> Assessment:
    """Assess an objective's text letter by letter.

    Pure and deterministic: the same text, context and checks give the same assessment.
    ``checks`` are extra rules (e.g. from the ``cpdcore_smart_checks`` hook); a check's
    finding decides a letter only when it is *worse* than the built-in verdict.
    """
    context = context or SmartContext()
    text = text[:MAX_TEXT]
    low = rules.normalised(text)
    readings = [rules.read_part(text, low, a, b, context) for a, b in rules.split_parts(low)]
    per_letter: dict[Letter, list[Finding]] = {letter: [] for letter in Letter}
    for reading in readings:
        per_letter[Letter.S].append(rules.specific(reading))
        per_letter[Letter.M].append(rules.measurable(reading, context))
        per_letter[Letter.A].append(rules.achievable(reading, context))
        per_letter[Letter.T].append(rules.time_bound(reading, context))
    per_letter[Letter.R].append(rules.relevant(text, low, context, readings))
    letters = []
    for letter in Letter:
        built_in = per_letter[letter]
        decided = rules.worst(built_in)
        considered = [f for f in built_in if f is not decided]
        for check in checks:
            for raw in check.check(text, context):
                if raw.letter is not letter:
                    continue
                finding = _from_plugin(raw, check.name, text)
                if finding.verdict.worse_than(decided.verdict):
                    considered.append(decided)
                    decided = finding
                else:
                    considered.append(finding)
        letters.append(LetterAssessment(decided, tuple(considered)))
    return Assessment(text=text, letters=tuple(letters))


def _from_plugin(finding: Finding, name: str, text: str) -> Finding:
    """The plugin's finding named after it, with a valid span and a suggestion."""
    span = finding.span
    if not (0 <= span.start <= span.end <= len(text)) or text[span.start : span.end] != span.text:
        span = Span.whole(text)
    suggestion = finding.suggestion
    if finding.verdict is not Verdict.PASS and not suggestion.strip():
        suggestion = _DEFAULT_SUGGESTIONS[finding.letter]
    return attrs.evolve(finding, source=name or "plugin", span=span, suggestion=suggestion)
