"""How CPD maps onto school priorities: one fact per person, activity and SIP priority.

The alignment report answers questions such as "how much of this year's CPD served
oracy?": how many people were observed (or observed) with a focus linked to SIP-ORACY,
took part in clubs on it, wrote insights tagged to it, hold objectives linked to it, and
for how many hours. :func:`alignment_facts` turns the records of a year into
:class:`AlignmentFact` rows, each naming one person; the application stores them and
answers the report through the anonymised aggregation use case, so a cell with too few
people is suppressed and nobody's individual participation can be read from it.

Terms are assigned by month (autumn September–December, spring January–March, summer
April–August), which is close enough for a termly summary.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal

import attrs

from cpdcore.domain.calendar import TermName
from cpdcore.domain.cpd_activities import CpdActivity
from cpdcore.domain.identifiers import SchoolId, TrustId
from cpdcore.domain.line_management import academic_year_of
from cpdcore.domain.objectives import Objective, ObjectiveStatus
from cpdcore.domain.observations import Observation
from cpdcore.domain.video_clubs import ClubSession, SessionStatus, VideoClub

__all__ = [
    "AlignmentActivity",
    "AlignmentFact",
    "FocusLinks",
    "alignment_facts",
    "club_codes",
    "club_facts",
    "cpd_facts",
    "insight_facts",
    "objective_facts",
    "observation_facts",
    "term_of",
]


class AlignmentActivity(enum.Enum):
    """The kinds of participation the alignment report counts."""

    OBSERVATION = "observation"
    """Observed, or observed a colleague, with a focus linked to the priority."""
    CLUB = "club"
    """Took part in a held video-club session on the priority (minutes = its length)."""
    INSIGHT = "insight"
    """Wrote a club insight tagged to the priority."""
    OBJECTIVE = "objective"
    """Holds an appraisal objective linked to the priority."""
    CPD = "cpd"
    """Logged CPD linked (through an objective) to the priority (minutes = its hours)."""


@attrs.frozen
class AlignmentFact:
    """One person's participation in one activity serving one SIP priority.

    Stored only to be aggregated: ``person_id`` is what the disclosure rules count.
    """

    id: str
    trust_id: TrustId
    school_id: SchoolId
    person_id: str
    academic_year: str
    term: str
    sip_code: str
    activity: str = attrs.field(
        validator=attrs.validators.in_([a.value for a in AlignmentActivity])
    )
    """An :class:`AlignmentActivity` value, stored as text so aggregates can group by it."""
    source_id: str
    minutes: int = 0
    version: int = 0


def term_of(day: date) -> TermName:
    """The term a date falls in, by month."""
    if day.month >= 9:
        return TermName.AUTUMN
    if day.month <= 3:
        return TermName.SPRING
    return TermName.SUMMER


def _fact(
    trust_id: TrustId,
    school_id: SchoolId,
    person: str,
    *,
    day: date,
    sip_code: str,
    activity: AlignmentActivity,
    source_id: str,
    minutes: int = 0,
) -> AlignmentFact:
    return AlignmentFact(
        id=f"{activity.value}:{source_id}:{person}:{sip_code}",
        trust_id=trust_id,
        school_id=school_id,
        person_id=person,
        academic_year=academic_year_of(day),
        term=term_of(day).value,
        sip_code=sip_code,
        activity=activity.value,
        source_id=source_id,
        minutes=minutes,
    )


FocusLinks = Mapping[tuple[str, str], tuple[str, ...]]
"""SIP codes per ``(school_id, focus code)``."""


def observation_facts(
    observations: Iterable[Observation], focus_links: FocusLinks
) -> Iterator[AlignmentFact]:
    """The observed teacher and the observer, for each SIP code the focus serves."""
    for obs in observations:
        for code in focus_links.get((obs.school_id, obs.focus_code), ()):
            for person in (obs.teacher_id, obs.observer_id):
                yield _fact(
                    obs.trust_id,
                    obs.school_id,
                    person,
                    day=obs.observed_on,
                    sip_code=code,
                    activity=AlignmentActivity.OBSERVATION,
                    source_id=obs.id,
                )


def club_codes(club: VideoClub, focus_links: FocusLinks) -> tuple[str, ...]:
    """The club's own SIP codes and those of its theme, without repeats."""
    found = (*club.sip_codes, *focus_links.get((club.school_id, club.theme), ()))
    return tuple(dict.fromkeys(found))


def club_facts(
    clubs: Iterable[VideoClub], sessions: Iterable[ClubSession], focus_links: FocusLinks
) -> Iterator[AlignmentFact]:
    """Every participant of each held session, for each SIP code the club serves."""
    by_id = {c.id: c for c in clubs}
    for session in sessions:
        club = by_id.get(session.club_id)
        if club is None or session.status is not SessionStatus.HELD:
            continue
        for code in club_codes(club, focus_links):
            for person in club.participants:
                yield _fact(
                    session.trust_id,
                    session.school_id,
                    person,
                    day=session.scheduled_for.date(),
                    sip_code=code,
                    activity=AlignmentActivity.CLUB,
                    source_id=session.id,
                    minutes=session.minutes,
                )


def insight_facts(sessions: Iterable[ClubSession]) -> Iterator[AlignmentFact]:
    """The author of each insight, for each SIP code it is tagged to."""
    for session in sessions:
        for insight in session.insights:
            for code in insight.sip_codes:
                yield _fact(
                    session.trust_id,
                    session.school_id,
                    insight.by,
                    day=insight.written_at.date(),
                    sip_code=code,
                    activity=AlignmentActivity.INSIGHT,
                    source_id=insight.id,
                )


_LIVE = frozenset(ObjectiveStatus) - {ObjectiveStatus.DRAFT, ObjectiveStatus.WITHDRAWN}


def objective_facts(objectives: Iterable[Objective]) -> Iterator[AlignmentFact]:
    """The appraisee of each proposed-or-later objective, per linked SIP code."""
    for objective in objectives:
        if objective.status not in _LIVE:
            continue
        for code in objective.terms.sip_priorities:
            yield _fact(
                objective.trust_id,
                objective.school_id,
                objective.appraisee_id,
                day=objective.terms.starts_on,
                sip_code=code,
                activity=AlignmentActivity.OBJECTIVE,
                source_id=objective.id,
            )


def cpd_facts(
    activities: Iterable[CpdActivity], objectives: Iterable[Objective]
) -> Iterator[AlignmentFact]:
    """CPD hours (as minutes) per SIP code of the objectives each activity is linked to."""
    codes = {o.id: o.terms.sip_priorities for o in objectives}
    for activity in activities:
        linked = dict.fromkeys(c for oid in activity.objective_ids for c in codes.get(oid, ()))
        minutes = int((activity.hours * Decimal(60)).to_integral_value())
        for code in linked:
            yield _fact(
                activity.trust_id,
                activity.school_id,
                activity.staff_id,
                day=activity.started_on,
                sip_code=code,
                activity=AlignmentActivity.CPD,
                source_id=activity.id,
                minutes=minutes,
            )


def alignment_facts(
    *,
    academic_year: str,
    focus_links: FocusLinks,
    observations: Iterable[Observation] = (),
    clubs: Iterable[VideoClub] = (),
    sessions: Iterable[ClubSession] = (),
    objectives: Iterable[Objective] = (),
    activities: Iterable[CpdActivity] = (),
) -> list[AlignmentFact]:
    """Every fact of ``academic_year``, sorted by id, without duplicates."""
    session_list = list(sessions)
    objective_list = list(objectives)
    streams = (
        observation_facts(observations, focus_links),
        club_facts(clubs, session_list, focus_links),
        insight_facts(session_list),
        objective_facts(objective_list),
        cpd_facts(activities, objective_list),
    )
    found = {f.id: f for stream in streams for f in stream if f.academic_year == academic_year}
    return [found[k] for k in sorted(found)]
