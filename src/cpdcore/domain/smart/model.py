"""The values of a SMART assessment: verdicts, spans, findings, the context and checks."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Protocol, runtime_checkable

import attrs

from cpdcore.domain.calendar import SchoolCalendar

__all__ = [
    "BUILT_IN",
    "Assessment",
    "Criterion",
    "Finding",
    "Letter",
    "LetterAssessment",
    "Overall",
    "SmartCheck",
    "SmartContext",
    "Span",
    "Verdict",
]

BUILT_IN = "cpdcore"
"""The ``source`` of findings made by cpdcore's own rules."""


class Verdict(enum.Enum):
    """A letter's verdict, from best to worst."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"

    @property
    def rank(self) -> int:
        """0 for PASS, 1 for WARN, 2 for FAIL: larger is worse."""
        return _RANK[self]

    def worse_than(self, other: Verdict) -> bool:
        """True if this verdict is strictly worse than ``other``."""
        return self.rank > other.rank


_RANK = {Verdict.PASS: 0, Verdict.WARN: 1, Verdict.FAIL: 2}


class Letter(enum.Enum):
    """The five letters of SMART, in order."""

    S = "S"
    M = "M"
    A = "A"
    R = "R"
    T = "T"

    @property
    def word(self) -> str:
        """The word the letter stands for (``Specific`` for ``S``)."""
        return _WORDS[self]


_WORDS = {
    Letter.S: "Specific",
    Letter.M: "Measurable",
    Letter.A: "Achievable",
    Letter.R: "Relevant",
    Letter.T: "Time-bound",
}


class Overall(enum.Enum):
    """The overall verdict: NOT_SMART when any letter fails."""

    SMART = "SMART"
    NOT_SMART = "NOT_SMART"


@attrs.frozen
class Span:
    """The part of the objective's text a verdict was based on: ``text == source[start:end]``.

    When a verdict rests on something *missing* (no deadline, no measure), the span is the
    whole text that was searched.
    """

    start: int
    end: int
    text: str

    @classmethod
    def of(cls, source: str, start: int, end: int) -> Span:
        """The span ``source[start:end]``."""
        return cls(start, end, source[start:end])

    @classmethod
    def whole(cls, source: str, offset: int = 0, length: int | None = None) -> Span:
        """The span of all of ``source`` (or of ``length`` characters from ``offset``)."""
        end = len(source) if length is None else offset + length
        return cls(offset, end, source[offset:end])

    def describe(self, limit: int = 70) -> str:
        """``chars 10-25 "the quoted text"``, shortened with an ellipsis past ``limit``."""
        quoted = self.text if len(self.text) <= limit else self.text[: limit - 1] + "…"
        return f'chars {self.start}-{self.end} "{quoted}"'


@attrs.frozen
class Finding:
    """One rule's verdict on one letter, with the reason, the span and a suggestion.

    Built-in rules and plugin checks both return findings. ``suggestion`` says what to write
    instead; it is required for WARN and FAIL (cpdcore supplies a general one if a plugin
    leaves it empty).
    """

    letter: Letter
    verdict: Verdict
    rule: str
    reason: str
    span: Span
    suggestion: str = ""
    source: str = BUILT_IN


@attrs.frozen
class LetterAssessment:
    """The decided verdict for one letter and the finding that decided it.

    ``considered`` holds every other finding for the letter (e.g. a plugin's PASS that could
    not improve on a built-in WARN), so a host can show the whole reasoning.
    """

    decided_by: Finding
    considered: tuple[Finding, ...] = ()

    @property
    def letter(self) -> Letter:
        """The letter assessed."""
        return self.decided_by.letter

    @property
    def verdict(self) -> Verdict:
        """PASS, WARN or FAIL."""
        return self.decided_by.verdict

    @property
    def rule(self) -> str:
        """The id of the rule that decided (e.g. ``T-after-cycle``)."""
        return self.decided_by.rule

    @property
    def span(self) -> Span:
        """The text the deciding rule looked at."""
        return self.decided_by.span

    @property
    def suggestion(self) -> str:
        """What to change (empty only for PASS)."""
        return self.decided_by.suggestion

    @property
    def source(self) -> str:
        """``cpdcore`` for built-in rules, else the plugin check's name."""
        return self.decided_by.source

    @property
    def explanation(self) -> str:
        """One line a person can read: verdict, rule (and plugin), reason, span, suggestion."""
        finding = self.decided_by
        by = f"rule {finding.rule}"
        if finding.source != BUILT_IN:
            by += f" from plugin {finding.source}"
        text = f"{finding.letter.value} ({finding.letter.word}) {finding.verdict.value} by {by}: "
        text += f"{finding.reason} [{finding.span.describe()}]"
        if finding.suggestion:
            text += f" Suggestion: {finding.suggestion}"
        return text


@attrs.frozen
class Assessment:
    """The SMART assessment of one objective: a verdict per letter and the overall verdict."""

    text: str
    letters: tuple[LetterAssessment, ...]

    def __getitem__(self, letter: Letter | str) -> LetterAssessment:
        wanted = Letter(letter) if isinstance(letter, str) else letter
        return next(a for a in self.letters if a.letter is wanted)

    @property
    def overall(self) -> Overall:
        """NOT_SMART if any letter FAILs, else SMART."""
        failed = any(a.verdict is Verdict.FAIL for a in self.letters)
        return Overall.NOT_SMART if failed else Overall.SMART

    @property
    def verdicts(self) -> Mapping[Letter, Verdict]:
        """Each letter's verdict."""
        return {a.letter: a.verdict for a in self.letters}

    def explanations(self) -> tuple[str, ...]:
        """One explanation line per letter, in SMART order."""
        return tuple(a.explanation for a in self.letters)


@attrs.frozen
class Criterion:
    """A structured success criterion as the validator sees it.

    ``unit`` is one of ``percentage``, ``count``, ``grade``, ``score``, ``yes_no`` (the
    units of :class:`cpdcore.domain.objectives.MeasureUnit`).
    """

    description: str = ""
    target: Decimal | None = None
    baseline: Decimal | None = None
    unit: str = "count"


def _codes(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.strip() for v in values if v and v.strip())


@attrs.frozen
class SmartContext:
    """What the validator knows besides the text.

    ``cycle_start``/``cycle_end`` bound the appraisal cycle (a deadline outside is flagged);
    ``calendar`` resolves term phrases (``None``: only dates and months can be dated);
    ``reference`` is the date relative phrases count from ("within six weeks"), by default
    the cycle start; ``sip_priorities`` and ``standards`` are the *linked* codes;
    ``success_criteria`` are structured criteria, which make M pass when they have a target.
    """

    cycle_start: date | None = None
    cycle_end: date | None = None
    calendar: SchoolCalendar | None = None
    sip_priorities: tuple[str, ...] = attrs.field(default=(), converter=_codes)
    standards: tuple[str, ...] = attrs.field(default=(), converter=_codes)
    success_criteria: tuple[Criterion, ...] = ()
    reference: date | None = None

    @property
    def reference_date(self) -> date | None:
        """The date relative phrases count from: ``reference``, else the cycle start."""
        return self.reference or self.cycle_start


@runtime_checkable
class SmartCheck(Protocol):
    """An extra SMART rule, e.g. from a school's plugin (hook ``cpdcore_smart_checks``).

    ``check`` returns findings for any letters it has an opinion on. A finding can only make
    a letter *worse* than the built-in verdict: a WARN or FAIL that is worse replaces the
    built-in one and the check's ``name`` appears in the explanation; anything else is kept
    in ``considered``. ``check`` must be pure and deterministic, like the built-in rules.
    """

    @property
    def name(self) -> str:
        """Short name shown in explanations, e.g. ``names-pupil-group``."""
        ...

    def check(self, text: str, context: SmartContext) -> Iterable[Finding]:
        """Findings about ``text``; each span indexes ``text``."""
        ...
