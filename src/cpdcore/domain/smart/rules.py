"""The built-in SMART rules, one function per letter, and the reference table of rule ids.

Each rule reads one *part* of an objective (a text normally has one part; a second
objective run into it after "Also …" is a second part) and returns a
:class:`~cpdcore.domain.smart.model.Finding`. Spans are indexes into the whole text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

import attrs

from cpdcore.domain.calendar import (
    SchoolCalendar,
    TimeReference,
    find_time_references,
    normalise,
)
from cpdcore.domain.smart import vocabulary as v
from cpdcore.domain.smart.model import Finding, Letter, SmartContext, Span, Verdict

__all__ = ["RULES", "Rule", "read_part", "rule", "split_parts"]


@attrs.frozen
class Rule:
    """A built-in rule: its id, the letter and verdict it gives, what it checks and the
    suggestion it makes (``{…}`` fields are filled from the objective)."""

    id: str
    letter: Letter
    verdict: Verdict
    checks: str
    suggestion: str = ""


RULES: tuple[Rule, ...] = (
    Rule("S-specific", Letter.S, Verdict.PASS,
         "A concrete action or change and who or what it concerns (a pupil group, class, "
         "year group, subject or named practice)."),
    Rule("S-no-group", Letter.S, Verdict.WARN,
         "The action is concrete but no pupil group, class, year group, subject or named "
         "practice is given.",
         "Name the pupil group, e.g. 'Year 9 set 3', a class, a subject or a named practice."),
    Rule("S-generic-action", Letter.S, Verdict.WARN,
         "The group is given but the action stays generic (improve, support, help, make "
         "better) and no target makes it concrete.",
         "Say what you will do, not only 'improve': name a practice (e.g. 'cold calling', "
         "'phonics interventions') or a countable change (e.g. 'raise the reading age')."),
    Rule("S-vague-aspiration", Letter.S, Verdict.FAIL,
         "Only a vague aspiration ('improve my teaching', 'develop my practice', 'work on "
         "behaviour') with no group, class, subject or named practice.",
         "Replace the aspiration with a concrete practice and who it is for, e.g. 'use "
         "hinge questions in every Year 9 science lesson'."),
    Rule("S-personal-concrete", Letter.S, Verdict.WARN,
         "A personal goal stated concretely (a number or distance): specific, but not "
         "about the professional role.",
         "Write the objective about your work with pupils or colleagues; keep personal "
         "goals out of appraisal."),
    Rule("S-personal-vague", Letter.S, Verdict.FAIL,
         "A vague personal aim ('lose weight', 'be healthier').",
         "Write the objective about your work with pupils or colleagues; keep personal "
         "goals out of appraisal."),
    Rule("M-structured-criteria", Letter.M, Verdict.PASS,
         "A structured success criterion with a target value is linked."),
    Rule("M-quantitative-target", Letter.M, Verdict.PASS,
         "A number that counts or measures: a percentage, a count of pupils, sessions or "
         "lessons ('4 of 6'), a score, a grade, a reading age, 'to zero'. Labels (Year 7, "
         "KS3, TS2, set 3, Spring 2, 9X3) and dates are not measures."),
    Rule("M-measure-without-target", Letter.M, Verdict.WARN,
         "A measure or evidence source is named (book looks, learning walks, tracker, "
         "assessment data) but no target value.",
         "Add a target value for {measure}: from what baseline to what level?"),
    Rule("M-nothing-to-count", Letter.M, Verdict.FAIL,
         "No number and no named measure or evidence source.",
         "Add a target value: from what baseline to what level, e.g. 'from 45% to 60% of "
         "pupils' or 'in 4 of 6 observed lessons'."),
    Rule("A-achievable", Letter.A, Verdict.PASS,
         "Nothing impossible, absolute or over-ambitious was found (also when there is no "
         "numeric target)."),
    Rule("A-absolute", Letter.A, Verdict.WARN,
         "An absolute leaves no margin: 'all pupils', 'every lesson', '100%', 'never', "
         "'always', 'no child', 'none', 'not one', '0%', 'zero' ('no more than 4' and "
         "'no hands up' are not absolutes).",
         "'{found}' leaves no margin; consider e.g. 'at least 90% of pupils' or 'in 4 of 5 "
         "lessons'."),
    Rule("A-change-over-30-points", Letter.A, Verdict.WARN,
         "A change of more than 30 and up to 60 percentage points within one cycle.",
         "A change of {points} percentage points in one cycle is ambitious; check it "
         "against last year's progress or add interim milestones."),
    Rule("A-change-over-60-points", Letter.A, Verdict.FAIL,
         "A change of more than 60 percentage points within one cycle.",
         "A change of {points} percentage points in one cycle is not achievable; aim for "
         "a smaller step (up to 30 points) or spread it over several cycles."),
    Rule("A-percentage-over-100", Letter.A, Verdict.FAIL,
         "A percentage over 100 (attendance of 102%, 110% of pupils).",
         "{found} is impossible: a percentage of pupils or attendance cannot exceed 100%. "
         "Set a target between the baseline and 100%."),
    Rule("A-absurd-top-grade", Letter.A, Verdict.FAIL,
         "Every pupil at the top grade ('all pupils will achieve grade 9', 'an A* for "
         "every student').",
         "Set a target for the proportion of pupils reaching a grade, e.g. '40% at grade "
         "7 or above, up from 30%'."),
    Rule("A-absurd-zero-everywhere", Letter.A, Verdict.FAIL,
         "Zero or none across a whole school or trust ('zero incidents across the whole "
         "school', 'not one incident anywhere in the school').",
         "Set a reduction from the current baseline for a group you influence, e.g. 'from "
         "40 to 25 incidents a half term in Year 8'."),
    Rule("A-deadline-before-cycle", Letter.A, Verdict.FAIL,
         "The deadline is before the cycle starts: the objective cannot be met in the "
         "cycle.",
         "The deadline {on} is before the cycle starts on {cycle_start}; choose a date "
         "between {cycle_start} and {cycle_end}."),
    Rule("R-linked", Letter.R, Verdict.PASS,
         "About the professional role, and at least one SIP priority or Teachers' Standard "
         "is linked."),
    Rule("R-standard-in-text-only", Letter.R, Verdict.WARN,
         "A standard is written in the text but nothing is linked.",
         "Link {found} in the objective's standards (the text alone does not link it)."),
    Rule("R-no-link", Letter.R, Verdict.WARN,
         "About school work, but no SIP priority or Teachers' Standard is linked.",
         "Link at least one SIP priority or Teachers' Standard, e.g. TS2 (pupil progress) "
         "or your school's reading priority."),
    Rule("R-personal-goal", Letter.R, Verdict.FAIL,
         "A personal goal unrelated to the professional role (fitness, savings, hobbies, a "
         "private business), whatever is linked.",
         "Appraisal objectives concern your professional role; replace this with an "
         "objective about your teaching, pupils or responsibilities."),
    Rule("T-deadline-in-cycle", Letter.T, Verdict.PASS,
         "A dated deadline or period inside the cycle: a date, month and year, a term or "
         "half term, Easter, Christmas, 'within N weeks'."),
    Rule("T-cycle-end", Letter.T, Verdict.PASS,
         "'By the end of the academic year', 'of the summer term' or 'of the cycle': the "
         "cycle's end date, whatever the calendar says."),
    Rule("T-time-reference", Letter.T, Verdict.PASS,
         "A deadline exists but cannot be checked against a cycle (no cycle dates given, "
         "or the calendar has no dates for that term)."),
    Rule("T-after-cycle", Letter.T, Verdict.WARN,
         "The deadline is after the cycle ends.",
         "The deadline {on} is after the cycle ends on {cycle_end}; choose a date on or "
         "before {cycle_end}."),
    Rule("T-before-cycle", Letter.T, Verdict.WARN,
         "The deadline is before the cycle starts (A fails too).",
         "The deadline {on} is before the cycle starts on {cycle_start}; choose a date "
         "inside the cycle."),
    Rule("T-vague", Letter.T, Verdict.WARN,
         "Only a vague time frame ('this year', 'soon', 'over time', 'ongoing', "
         "'regularly').",
         "'{found}' is not a deadline; give a date or a term, e.g. 'by the end of the "
         "spring term' or 'by 31/03/2027'."),
    Rule("T-no-time-reference", Letter.T, Verdict.FAIL,
         "No time reference at all.",
         "Add a deadline inside the cycle, e.g. 'by February half term' or 'by "
         "31/03/2027'."),
)  # fmt: skip
"""Every built-in rule; the reference documentation is generated from this table."""

_BY_ID = {r.id: r for r in RULES}


def rule(rule_id: str) -> Rule:
    """The built-in rule with id ``rule_id``."""
    return _BY_ID[rule_id]


def uk(day: date | None) -> str:
    """A date the way UK schools write it: ``31/07/2027``."""
    return day.strftime("%d/%m/%Y") if day else "?"


def _finding(rule_id: str, reason: str, span: Span, **fields: object) -> Finding:
    spec = _BY_ID[rule_id]
    suggestion = spec.suggestion.format(**fields) if spec.suggestion else ""
    return Finding(spec.letter, spec.verdict, spec.id, reason, span, suggestion)


# --- reading a part ---------------------------------------------------------------------


@attrs.frozen
class PartReading:
    """What the rules need to know about one part of the text, read once."""

    text: str
    low: str
    start: int
    end: int
    time_refs: tuple[TimeReference, ...]
    cycle_end_spans: tuple[tuple[int, int], ...]
    milestone_spans: tuple[tuple[int, int], ...]
    quantities: tuple[tuple[int, int], ...]
    numbers: tuple[tuple[int, int], ...]
    groups: tuple[tuple[int, int], ...]

    def span(self, start: int, end: int) -> Span:
        """A span given in part coordinates, as indexes into the whole text."""
        return Span.of(self.text, self.start + start, self.start + end)

    def whole(self) -> Span:
        """The span of the whole part."""
        return Span.of(self.text, self.start, self.end)

    @property
    def part(self) -> str:
        """The part's own text."""
        return self.text[self.start : self.end]


def split_parts(low: str) -> list[tuple[int, int]]:
    """Where separate objectives run together in one text ("…. Also lead …")."""
    bounds = [0]
    bounds.extend(m.end() for m in v.SPLIT_OBJECTIVES.finditer(low))
    bounds.append(len(low))
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a] or [(0, len(low))]


def _inside(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in spans)


_EMPTY_CALENDAR = SchoolCalendar("no calendar", ())


def read_part(text: str, low: str, start: int, end: int, context: SmartContext) -> PartReading:
    """Read ``text[start:end]``: time phrases, numbers that measure, groups."""
    part, part_low = text[start:end], low[start:end]
    calendar = context.calendar or _EMPTY_CALENDAR
    refs = find_time_references(part, calendar, context.reference_date)
    cycle_end = tuple(m.span() for m in v.CYCLE_END_PHRASE.finditer(part_low))
    milestones = tuple(m.span() for m in v.CYCLE_MILESTONE_PHRASE.finditer(part_low))
    labels = [m.span() for m in v.LABEL.finditer(part_low)]
    labels += [m.span() for m in v.CLASS_CODE_CASED.finditer(part)]
    labels += [(r.start, r.end) for r in refs]
    labels += [*cycle_end, *milestones]
    numbers = tuple(m.span() for m in v.NUMBER.finditer(part_low) if not _inside(*m.span(), labels))
    quantities = list(numbers)
    quantities += [m.span() for m in v.PERCENT.finditer(part_low)]
    quantities += [
        m.span() for m in v.LETTER_GRADE_TARGET.finditer(part_low) if not _inside(*m.span(), labels)
    ]
    quantities += [m.span() for m in v.LETTER_GRADE_CASED.finditer(part)]
    groups = [m.span() for m in v.GROUP.finditer(part_low)]
    groups += [m.span() for m in v.GROUP_CASED.finditer(part)]
    groups += [m.span() for m in v.CLASS_CODE_CASED.finditer(part)]
    return PartReading(
        text=text,
        low=low,
        start=start,
        end=end,
        time_refs=tuple(r for r in refs if not _overlaps(r.start, r.end, cycle_end)),
        cycle_end_spans=cycle_end,
        milestone_spans=milestones,
        quantities=tuple(sorted(set(quantities))),
        numbers=numbers,
        groups=tuple(sorted(set(groups))),
    )


# --- S ----------------------------------------------------------------------------------

_CONSTRUCT_VERBS = frozenset(
    {"improve", "raise", "increase", "boost", "enhance", "better", "strengthen", "support",
     "address", "tackle", "manage", "maintain", "sustain"}
)  # fmt: skip
_ARTEFACT_VERBS = frozenset({"develop", "update", "extend", "refresh", "build on", "further"})
_ENSURE_VERBS = frozenset({"ensure", "make"})


def _personal(low: str) -> re.Match[str] | None:
    """A personal goal, unless pupils or classes are in it (then it is school work)."""
    found = v.PERSONAL.search(low)
    if found is None or v.PUPILS_NAMED.search(low):
        return None
    return found


_CLAUSE_END = re.compile(r"[,.;:(]|\s(?:so\s+that|by|in\s+order|which|to\s+ensure)\s")


def _lead(low_part: str) -> int:
    """Index in ``low_part`` where the main clause starts, after fillers."""
    position = 0
    for _ in range(8):
        match = v.LEAD_FILLER.match(low_part[position:])
        if match is None or match.end() == 0:
            break
        position += match.end()
    return position


def specific(reading: PartReading) -> Finding:
    """S: a concrete action or change, and who or what it concerns."""
    part_low = reading.low[reading.start : reading.end]
    personal = _personal(part_low)
    if personal:
        span = reading.span(*personal.span())
        if reading.numbers or reading.quantities:
            return _finding("S-personal-concrete", "a personal goal, stated concretely", span)
        return _finding("S-personal-vague", "a vague personal aim", span)
    lead = _lead(part_low)
    rest = part_low[lead:]
    clause_end = _CLAUSE_END.search(rest, 1)
    head_end = clause_end.start() if clause_end else min(len(rest), 120)
    head_span = reading.span(lead, lead + max(head_end, 0))
    if not head_span.text.strip():
        head_span = reading.whole()
    target = bool(reading.quantities)
    group = reading.groups[0] if reading.groups else None
    group_text = reading.span(*group).text if group else ""

    kind = "concrete"
    generic = v.GENERIC_LEAD.match(rest)
    if v.OUTCOME_LEAD.match(rest):
        kind = "concrete" if target else "generic"
    elif generic is not None or not rest.strip():
        kind = "generic"
        verb = generic.group(0) if generic else ""
        window = rest[: head_end if head_end > 0 else 120]
        after_verb = window[len(verb) :]
        if (
            (verb in _CONSTRUCT_VERBS and v.MEASURE_CONSTRUCT.search(after_verb))
            or (verb in _ARTEFACT_VERBS and v.CONCRETE_ARTEFACT.search(after_verb))
            or (verb in _ENSURE_VERBS and v.PRACTICE.search(rest))
        ):
            kind = "concrete"
    self_vague = bool(v.SELF_VAGUE.search(rest[:200]))

    if kind == "concrete":
        if group:
            return _finding(
                "S-specific", f"a concrete action or change for '{group_text}'", head_span
            )
        return _finding(
            "S-no-group", "a concrete action, but no pupil group, class or subject", head_span
        )
    if group and target:
        return _finding("S-specific", f"a change with a target for '{group_text}'", head_span)
    if group:
        return _finding(
            "S-generic-action", f"'{group_text}' is named but the action is generic", head_span
        )
    if target and not self_vague:
        return _finding(
            "S-no-group",
            "a change with a target, but no pupil group, class or subject",
            head_span,
        )
    return _finding("S-vague-aspiration", "only a vague aspiration", head_span)


# --- M ----------------------------------------------------------------------------------


def measurable(reading: PartReading, context: SmartContext) -> Finding:
    """M: a target value, or at least a named measure."""
    if any(c.target is not None for c in context.success_criteria):
        described = next(c.description for c in context.success_criteria if c.target is not None)
        return _finding(
            "M-structured-criteria",
            f"a structured success criterion with a target{': ' + described if described else ''}",
            reading.whole(),
        )
    if reading.quantities:
        first = reading.span(*reading.quantities[0])
        return _finding("M-quantitative-target", f"counts or measures '{first.text}'", first)
    part_low = reading.low[reading.start : reading.end]
    source = v.EVIDENCE_SOURCE.search(part_low)
    if source:
        span = reading.span(*source.span())
        measure = span.text.strip()
        return _finding(
            "M-measure-without-target",
            f"'{measure}' is named but no target value is set",
            span,
            measure=f"'{measure}'",
        )
    return _finding(
        "M-nothing-to-count", "nothing can be counted and no measure is named", reading.whole()
    )


# --- A ----------------------------------------------------------------------------------


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _changes(reading: PartReading, part_low: str) -> list[tuple[Decimal, int, int]]:
    """Percentage-point changes stated in the text: (points, start, end)."""
    changes: list[tuple[Decimal, int, int]] = []
    for pattern in (v.PERCENT_CHANGE, v.PERCENT_CHANGE_REVERSED):
        for m in pattern.finditer(part_low):
            groups = m.groupdict()
            if pattern is v.PERCENT_CHANGE and not (groups.get("ua") or groups.get("ub")):
                continue  # "from 4 to 6 pupils" is a count, not percentage points
            a, b = _decimal(m["a"]), _decimal(m["b"])
            if a is not None and b is not None:
                changes.append((abs(b - a), *m.span()))
    taken = [(s, e) for _p, s, e in changes]
    percents = [
        (m.span(), _decimal(m["value"]))
        for m in v.PERCENT.finditer(part_low)
        if not _inside(*m.span(), taken)
    ]
    for m in v.PERCENT_PAIRED.finditer(part_low):
        if _inside(*m.span(), taken):
            continue
        baseline = _decimal(m["a"] or m["base"])
        others = [
            (abs(span[0] - m.start()), span, value)
            for span, value in percents
            if value is not None and not (m.start() <= span[0] < m.end())
        ]
        if baseline is None or not others:
            continue
        _distance, span, value = min(others, key=lambda o: o[0])
        assert value is not None
        start, end = min(span[0], m.start()), max(span[1], m.end())
        changes.append((abs(value - baseline), start, end))
    return changes


def achievable(reading: PartReading, context: SmartContext) -> Finding:
    """A: nothing impossible, absurd, absolute or over-ambitious."""
    part_low = reading.low[reading.start : reading.end]
    findings: list[Finding] = []
    for m in v.PERCENT.finditer(part_low):
        value = _decimal(m["value"])
        if value is not None and value > 100 and "point" not in m.group(0):
            findings.append(
                _finding(
                    "A-percentage-over-100",
                    f"{m.group(0).strip()} is more than 100%",
                    reading.span(*m.span()),
                    found=m.group(0).strip(),
                )
            )
    for criterion in context.success_criteria:
        if criterion.unit == "percentage" and criterion.target is not None:
            if criterion.target > 100:
                findings.append(
                    _finding(
                        "A-percentage-over-100",
                        f"the success criterion's target {criterion.target}% is over 100%",
                        reading.whole(),
                        found=f"{criterion.target}%",
                    )
                )
            elif criterion.baseline is not None:
                points = abs(criterion.target - criterion.baseline)
                findings.extend(_change_findings(points, reading.whole(), "success criterion"))
    top = v.ABSURD_TOP_GRADE.search(part_low)
    if top:
        findings.append(
            _finding(
                "A-absurd-top-grade", "every pupil at the top grade", reading.span(*top.span())
            )
        )
    zero = v.ABSURD_ZERO_EVERYWHERE.search(part_low)
    if zero:
        findings.append(
            _finding(
                "A-absurd-zero-everywhere",
                "zero across a whole school or trust",
                reading.span(*zero.span()),
            )
        )
    start_of_cycle = context.cycle_start
    if start_of_cycle is not None:
        findings.extend(
            _finding(
                "A-deadline-before-cycle",
                f"the deadline {uk(ref.on)} is before the cycle starts on {uk(start_of_cycle)}",
                reading.span(ref.start, ref.end),
                on=uk(ref.on),
                cycle_start=uk(start_of_cycle),
                cycle_end=uk(context.cycle_end),
            )
            for ref in reading.time_refs
            if ref.on is not None and ref.on < start_of_cycle
        )
    for points, start, end in _changes(reading, part_low):
        findings.extend(_change_findings(points, reading.span(start, end), "text"))
    absolute = v.ABSOLUTE.search(part_low)
    if absolute:
        found = reading.span(*absolute.span()).text
        findings.append(
            _finding(
                "A-absolute",
                f"'{found}' is an absolute",
                reading.span(*absolute.span()),
                found=found,
            )
        )
    if not findings:
        return _finding(
            "A-achievable", "nothing impossible, absolute or over-ambitious", reading.whole()
        )
    return max(findings, key=lambda f: f.verdict.rank)


def _change_findings(points: Decimal, span: Span, where: str) -> list[Finding]:
    shown = f"{points.normalize():f}"
    if points > 60:
        return [
            _finding(
                "A-change-over-60-points",
                f"a change of {shown} percentage points in the {where}",
                span,
                points=shown,
            )
        ]
    if points > 30:
        return [
            _finding(
                "A-change-over-30-points",
                f"a change of {shown} percentage points in the {where}",
                span,
                points=shown,
            )
        ]
    return []


# --- R ----------------------------------------------------------------------------------

_STANDARD_IN_TEXT = re.compile(r"\bts\s*[1-8]\b|\bteachers'?\s+standards?\b", re.ASCII)


def relevant(
    text: str, low: str, context: SmartContext, readings: Sequence[PartReading] = ()
) -> Finding:
    """R: about the professional role and linked to a SIP priority or standard.

    A personal goal in any part fails R for the whole text, whatever is linked.
    """
    for reading in readings or [read_part(text, low, 0, len(text), context)]:
        personal = _personal(low[reading.start : reading.end])
        if personal:
            return _finding(
                "R-personal-goal",
                "a personal goal, unrelated to the professional role",
                reading.span(*personal.span()),
            )
    links = (*context.sip_priorities, *context.standards)
    if links:
        return _finding("R-linked", f"linked to {', '.join(links)}", Span.whole(text))
    mentioned = _STANDARD_IN_TEXT.search(low)
    if mentioned:
        span = Span.of(text, *mentioned.span())
        return _finding(
            "R-standard-in-text-only",
            f"'{span.text}' is written in the text but nothing is linked",
            span,
            found=f"'{span.text}'",
        )
    return _finding(
        "R-no-link", "no SIP priority or Teachers' Standard is linked", Span.whole(text)
    )


# --- T ----------------------------------------------------------------------------------


def time_bound(reading: PartReading, context: SmartContext) -> Finding:
    """T: a deadline inside the cycle."""
    findings: list[Finding] = []
    if reading.cycle_end_spans:
        start, end = reading.cycle_end_spans[0]
        ends = f" ({uk(context.cycle_end)})" if context.cycle_end else ""
        findings.append(
            _finding("T-cycle-end", f"means the end of the cycle{ends}", reading.span(start, end))
        )
    findings.extend(
        _finding(
            "T-time-reference",
            "a review meeting inside the cycle, not dated by the calendar",
            reading.span(start, end),
        )
        for start, end in reading.milestone_spans
    )
    findings.extend(_dated(ref, reading, context) for ref in reading.time_refs)
    if findings:
        return max(findings, key=lambda f: f.verdict.rank)
    part_low = reading.low[reading.start : reading.end]
    vague = v.VAGUE_TIME.search(part_low)
    if vague:
        span = reading.span(*vague.span())
        return _finding("T-vague", f"'{span.text}' is a vague time frame", span, found=span.text)
    return _finding("T-no-time-reference", "no time reference at all", reading.whole())


def _dated(ref: TimeReference, reading: PartReading, context: SmartContext) -> Finding:
    span = reading.span(ref.start, ref.end)
    fields = {
        "on": uk(ref.on),
        "cycle_start": uk(context.cycle_start),
        "cycle_end": uk(context.cycle_end),
    }
    if ref.on is None:
        return _finding(
            "T-time-reference",
            f"'{span.text}' is a time reference the calendar cannot date",
            span,
            **fields,
        )
    if context.cycle_start is not None and ref.on < context.cycle_start:
        return _finding(
            "T-before-cycle",
            f"'{span.text}' ({uk(ref.on)}) is before the cycle starts on {uk(context.cycle_start)}",
            span,
            **fields,
        )
    if context.cycle_end is not None and ref.on > context.cycle_end:
        return _finding(
            "T-after-cycle",
            f"'{span.text}' ({uk(ref.on)}) is after the cycle ends on {uk(context.cycle_end)}",
            span,
            **fields,
        )
    if context.cycle_start is None and context.cycle_end is None:
        return _finding(
            "T-time-reference", f"'{span.text}' ({uk(ref.on)}) is a deadline", span, **fields
        )
    return _finding(
        "T-deadline-in-cycle", f"'{span.text}' ({uk(ref.on)}) falls inside the cycle", span
    )


def normalised(text: str) -> str:
    """The lower-cased, same-length form the rules read."""
    return normalise(text)


def worst(findings: Sequence[Finding]) -> Finding:
    """The worst finding; the first one among equals."""
    return max(findings, key=lambda f: f.verdict.rank)
