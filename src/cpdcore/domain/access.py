"""Who may read or share an item about a teacher, for which purpose: one pure decision.

:func:`can` takes the actor, the action, the item (as a :class:`Resource`), the purpose,
the moment and the :class:`Facts` the application loaded (the subject's consents, the
item's shares, whom the actor appraises, the pupils' media consent) and returns a
:class:`Decision` saying yes or no and why. The rules, in order:

1. Nobody reads across trusts.
2. The subject always reads their own items (audience ``SELF``).
3. Research uses anonymised aggregates only: no individual item is opened for research.
4. The colleague who recorded an item about someone (an observer) may read it.
5. Everyone else reads through an audience they belong to: ``LINE_MANAGER`` (the
   subject's current appraiser), ``SCHOOL_LEADERS`` (a school leader of the item's school),
   ``LEARNING_GROUP`` (a member of an active share of the item) or ``TRUST`` (any staff
   member of the trust). Trust leaders and researchers have no further audience: their
   role gives them aggregates, never individual records.
6. A media item captured in a class where any pupil has a "no media" flag (or where the
   flags cannot be checked) is never shown beyond ``SELF`` and ``OBSERVER``.
7. Appraisal evidence is read only by the appraiser and school leaders. A formal item
   filed as appraisal evidence is part of the appraisal record. Anything else needs an
   active ``APPRAISAL_EVIDENCE`` consent for the reader's audience, and a developmental
   item needs it *for that very item* (the developmental firewall): a category consent
   never lets a developmental observation or clip into an appraisal.
8. Other purposes need an active consent for the purpose and one of the reader's
   audiences; a learning group reads through a share whose consent is still active.

Sharing is the subject's act alone and needs the consent the share would rely on.
Denials name the missing consent (purpose and audience) or the missing role; they never
include the item's content.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

import attrs

from cpdcore.domain.actors import Actor
from cpdcore.domain.consent import (
    PRIVATE_AUDIENCES,
    Audience,
    ConsentRecord,
    ItemKind,
    ItemRef,
    Purpose,
    Share,
    find_consent,
)
from cpdcore.domain.evidence import MEDIA_KINDS, Evidence, EvidencePurpose
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.organisation import Role
from cpdcore.errors import ConsentRequired, PermissionDenied

__all__ = [
    "Action",
    "Decision",
    "Facts",
    "PupilMedia",
    "Resource",
    "audiences_of",
    "can",
]


class Action(enum.Enum):
    """What the actor wants to do with the item."""

    READ = "read"
    SHARE = "share"


class PupilMedia(enum.Enum):
    """What the MIS says about the pupils who may appear in an item's media."""

    NOT_APPLICABLE = "not_applicable"
    """The item has no media, or was not captured in a class."""
    ALLOWED = "allowed"
    """Every pupil of the class may be photographed or filmed."""
    REFUSED = "refused"
    """At least one pupil of the class is flagged "no media"."""
    UNKNOWN = "unknown"
    """The flags could not be checked (no MIS, unknown class): treated as refused."""


@attrs.frozen
class Resource:
    """The facts about an item that access depends on (never its content)."""

    kind: ItemKind
    id: str
    trust_id: TrustId
    subject_id: StaffId
    school_id: SchoolId | None = None
    author_id: str | None = None
    """Who recorded the item, when that is someone other than the subject (an observer)."""
    formal: bool = False
    """Recorded for performance management rather than development."""
    filed_as_appraisal_evidence: bool = False
    """A formal item filed as appraisal evidence (the owner's or appraiser's release)."""
    has_media: bool = False
    class_label: str | None = None

    @property
    def ref(self) -> ItemRef:
        """The item reference (``evidence:e1``)."""
        return ItemRef(self.kind, self.id)

    @classmethod
    def from_evidence(cls, evidence: Evidence) -> Resource:
        """The access facts of an evidence item."""
        return cls(
            kind=ItemKind.EVIDENCE,
            id=evidence.id,
            trust_id=evidence.trust_id,
            subject_id=evidence.owner_id,
            school_id=evidence.school_id,
            author_id=evidence.author_id if evidence.author_id != evidence.owner_id else None,
            formal=evidence.purpose is EvidencePurpose.FORMAL,
            filed_as_appraisal_evidence=(
                evidence.purpose is EvidencePurpose.FORMAL and evidence.appraisal_evidence
            ),
            has_media=evidence.media_id is not None or evidence.kind in MEDIA_KINDS,
            class_label=evidence.class_label,
        )


@attrs.frozen
class Facts:
    """What the application loaded for one decision.

    ``consents`` are the subject's consent records (any state: inactive ones are ignored),
    ``shares`` the item's shares, ``appraisees`` the people the actor appraises at the
    moment of the decision, ``pupil_media`` the MIS answer for the item's class.
    """

    consents: tuple[ConsentRecord, ...] = ()
    shares: tuple[Share, ...] = ()
    appraisees: frozenset[str] = frozenset()
    pupil_media: PupilMedia = PupilMedia.NOT_APPLICABLE


@attrs.frozen
class Decision:
    """The answer of :func:`can`: allowed or not, and why.

    ``because`` is a sentence naming the rule, consent or role; ``consent_id`` or
    ``share_id`` name the record that allowed it. A denial sets ``missing_purpose`` and
    ``missing_audience`` when a consent would allow it, or ``missing_role``.
    """

    allowed: bool
    because: str
    audience: Audience | None = None
    consent_id: str | None = None
    share_id: str | None = None
    missing_purpose: Purpose | None = None
    missing_audience: Audience | None = None
    missing_role: str | None = None

    def check(self) -> Decision:
        """Return the decision if allowed; raise ``ConsentRequired`` or ``PermissionDenied``."""
        if self.allowed:
            return self
        if self.missing_purpose is not None:
            raise ConsentRequired(
                self.because,
                purpose=self.missing_purpose.value,
                audience="" if self.missing_audience is None else self.missing_audience.value,
            )
        raise PermissionDenied(self.because)


def _allow(
    because: str, audience: Audience, consent_id: str | None = None, share_id: str | None = None
) -> Decision:
    return Decision(True, because, audience=audience, consent_id=consent_id, share_id=share_id)


def _need_role(because: str, role: str) -> Decision:
    return Decision(False, because, missing_role=role)


def _need_consent(because: str, purpose: Purpose, audience: Audience | None) -> Decision:
    return Decision(False, because, missing_purpose=purpose, missing_audience=audience)


def _share_for(
    resource: Resource, purpose: Purpose, reader: str, facts: Facts, as_of: datetime
) -> tuple[Share, ConsentRecord] | None:
    by_id = {c.id: c for c in facts.consents}
    for share in facts.shares:
        consent = by_id.get(share.consent_id)
        if (
            share.item == resource.ref
            and share.purpose is purpose
            and share.audience is Audience.LEARNING_GROUP
            and reader in share.members
            and share.active(as_of)
            and consent is not None
            and consent.subject_id == resource.subject_id
            and consent.active(as_of)
            and consent.covers(resource.ref)
            and consent.purpose is purpose
            and (consent.group_id is None or consent.group_id == share.group_id)
        ):
            return share, consent
    return None


def audiences_of(actor: Actor, resource: Resource, facts: Facts) -> tuple[Audience, ...]:
    """The audiences beyond ``SELF``/``OBSERVER`` the actor belongs to for this item,
    narrowest first. Learning-group membership comes from the item's shares."""
    me = actor.staff_id
    if me is None:
        return ()
    found: list[Audience] = []
    if resource.subject_id in facts.appraisees:
        found.append(Audience.LINE_MANAGER)
    if actor.has_role(Role.SCHOOL_LEADER, resource.school_id):
        found.append(Audience.SCHOOL_LEADERS)
    if any(s.item == resource.ref and me in s.members for s in facts.shares):
        found.append(Audience.LEARNING_GROUP)
    found.append(Audience.TRUST)
    return tuple(found)


_APPRAISAL_AUDIENCES = (Audience.LINE_MANAGER, Audience.SCHOOL_LEADERS)


def can(
    actor: Actor,
    action: Action,
    resource: Resource,
    purpose: Purpose,
    as_of: datetime,
    *,
    facts: Facts,
    audience: Audience | None = None,
) -> Decision:
    """Decide whether ``actor`` may ``action`` the item for ``purpose`` at ``as_of``.

    ``audience`` is needed for :attr:`Action.SHARE` (whom the item would be shown to).
    """
    if actor.trust_id != resource.trust_id:
        return _need_role(f"{resource.ref} belongs to another trust", "member of the trust")
    if action is Action.SHARE:
        return _can_share(actor, resource, purpose, as_of, facts=facts, audience=audience)
    return _can_read(actor, resource, purpose, as_of, facts)


def _pupils_block(resource: Resource, facts: Facts) -> bool:
    return resource.has_media and facts.pupil_media in (PupilMedia.REFUSED, PupilMedia.UNKNOWN)


def _pupil_denial(resource: Resource, purpose: Purpose, audience: Audience | None) -> Decision:
    return _need_consent(
        f"{resource.ref} shows a class where at least one pupil has no media consent in the "
        "MIS (or the flags cannot be checked); it may be seen only by its subject and "
        "observer",
        purpose,
        audience,
    )


def _can_share(
    actor: Actor,
    resource: Resource,
    purpose: Purpose,
    as_of: datetime,
    *,
    facts: Facts,
    audience: Audience | None,
) -> Decision:
    if actor.staff_id != resource.subject_id:
        return _need_role(
            f"only {resource.subject_id}, the subject of {resource.ref}, may share it",
            "subject",
        )
    if audience is None:
        return _need_role("say which audience the item is shared with", "audience")
    if audience is Audience.SELF:
        return _allow("an item is always visible to its subject", Audience.SELF)
    if purpose is Purpose.RESEARCH:
        return _need_role(
            "items are never shared individually for research; research uses aggregates",
            "aggregate query",
        )
    if audience not in PRIVATE_AUDIENCES and _pupils_block(resource, facts):
        return _pupil_denial(resource, purpose, audience)
    firewall = purpose is Purpose.APPRAISAL_EVIDENCE and not resource.formal
    consent = find_consent(
        facts.consents,
        subject_id=resource.subject_id,
        item=resource.ref,
        purpose=purpose,
        audience=audience,
        as_of=as_of,
        item_specific=firewall,
    )
    if consent is None:
        return _need_consent(
            f"sharing {resource.ref} needs an active {purpose.value} consent for "
            f"{audience.value}" + (" given for this item" if firewall else ""),
            purpose,
            audience,
        )
    return _allow(f"consent {consent.id} allows it", audience, consent_id=consent.id)


def _can_read(
    actor: Actor, resource: Resource, purpose: Purpose, as_of: datetime, facts: Facts
) -> Decision:
    me = actor.staff_id
    if me is not None and me == resource.subject_id:
        return _allow("the subject always sees their own items", Audience.SELF)
    if purpose is Purpose.RESEARCH:
        return _need_role(
            "research uses anonymised aggregates only; individual items are never opened "
            "for research",
            "subject",
        )
    if me is not None and resource.author_id == me:
        return _allow("the observer sees what they recorded", Audience.OBSERVER)
    if me is None:
        return _need_role(
            "opening an individual item needs a staff member as actor", "staff member"
        )
    audiences = audiences_of(actor, resource, facts)
    if purpose is Purpose.APPRAISAL_EVIDENCE:
        return _read_appraisal(resource, audiences, as_of, facts)
    return _read_by_consent(resource, purpose, audiences, me, as_of=as_of, facts=facts)


def _read_appraisal(
    resource: Resource, audiences: Sequence[Audience], as_of: datetime, facts: Facts
) -> Decision:
    relevant = [a for a in audiences if a in _APPRAISAL_AUDIENCES]
    if not relevant:
        where = f"at school {resource.school_id}" if resource.school_id else ""
        return _need_role(
            f"reading appraisal evidence about {resource.subject_id} needs their current "
            f"appraiser or the school_leader role {where}".rstrip(),
            "appraiser or school_leader",
        )
    if _pupils_block(resource, facts):
        return _pupil_denial(resource, Purpose.APPRAISAL_EVIDENCE, relevant[0])
    if resource.filed_as_appraisal_evidence:
        return _allow(
            f"a formal item filed as appraisal evidence; you read it as {relevant[0].value}",
            relevant[0],
        )
    for audience in relevant:
        consent = find_consent(
            facts.consents,
            subject_id=resource.subject_id,
            item=resource.ref,
            purpose=Purpose.APPRAISAL_EVIDENCE,
            audience=audience,
            as_of=as_of,
            item_specific=not resource.formal,
        )
        if consent is not None:
            return _allow(f"consent {consent.id} allows it", audience, consent_id=consent.id)
    firewall = "" if resource.formal else " for this item (a developmental item needs its own)"
    return _need_consent(
        f"{resource.ref} is not appraisal evidence for {relevant[0].value}: "
        f"{resource.subject_id} has not granted appraisal_evidence{firewall}",
        Purpose.APPRAISAL_EVIDENCE,
        relevant[0],
    )


def _read_by_consent(
    resource: Resource,
    purpose: Purpose,
    audiences: Sequence[Audience],
    me: str,
    *,
    as_of: datetime,
    facts: Facts,
) -> Decision:
    if _pupils_block(resource, facts):
        return _pupil_denial(resource, purpose, audiences[0])
    for audience in audiences:
        if audience is Audience.LEARNING_GROUP:
            found = _share_for(resource, purpose, me, facts, as_of)
            if found is not None:
                share, via = found
                return _allow(
                    f"share {share.id} under consent {via.id} allows it",
                    audience,
                    consent_id=via.id,
                    share_id=share.id,
                )
            continue
        consent = find_consent(
            facts.consents,
            subject_id=resource.subject_id,
            item=resource.ref,
            purpose=purpose,
            audience=audience,
            as_of=as_of,
        )
        if consent is not None:
            return _allow(f"consent {consent.id} allows it", audience, consent_id=consent.id)
    return _need_consent(
        f"{resource.subject_id} has not granted {purpose.value} on {resource.ref} for "
        f"{audiences[0].value}",
        purpose,
        audiences[0],
    )
