"""Consent: what a teacher has agreed may be done with data about them, for whom, until when.

A :class:`ConsentRecord` says that its *subject* (a staff member) allows one *purpose*
(e.g. ``APPRAISAL_EVIDENCE``) for one *audience* (e.g. ``LINE_MANAGER``), either for one
item (an evidence item, an observation or a clip, named by :class:`ItemRef`) or for a whole
category of items (every item of one :class:`ItemKind`). It stores the exact wording the
teacher was shown and its version, when it was granted, when it expires and when it was
withdrawn. Records are never edited away: withdrawing sets ``withdrawn_at``, granting again
adds a new record, so the history of what was agreed stays readable.

Default deny: without an active record nothing is allowed. :func:`find_consent` is the one
lookup every access decision uses.

A :class:`Share` is derived from a consent: it puts one item in front of named people (a
learning group) and dies with the consent it came from.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.timestamps import aware_utc
from cpdcore.errors import Problem, ValidationError

__all__ = [
    "DEFAULT_WORDING",
    "PRIVATE_AUDIENCES",
    "WORDING_VERSION",
    "Audience",
    "ConsentRecord",
    "ItemKind",
    "ItemRef",
    "Purpose",
    "Share",
    "consent_problems",
    "find_consent",
    "revoke_share",
    "withdraw",
]


class Purpose(enum.Enum):
    """Why data about a teacher is used; consent is given per purpose."""

    DEVELOPMENTAL_REVIEW = "developmental_review"
    """Looked at to help the teacher grow (coaching, peer review, video club)."""
    APPRAISAL_EVIDENCE = "appraisal_evidence"
    """Used as evidence in the teacher's appraisal (performance management)."""
    TRAINING_LIBRARY = "training_library"
    """Kept as an example in the school's training library."""
    TRUST_SHARING = "trust_sharing"
    """Shown to colleagues in other schools of the trust."""
    RESEARCH = "research"
    """Counted in anonymised research aggregates (never read individually)."""


class Audience(enum.Enum):
    """Who may see an item, relative to its subject."""

    SELF = "self"
    OBSERVER = "observer"
    """The colleague who observed or recorded the item."""
    LEARNING_GROUP = "learning_group"
    """The members of a learning group (video club, PLC) the item is shared with."""
    LINE_MANAGER = "line_manager"
    """The subject's current appraiser."""
    SCHOOL_LEADERS = "school_leaders"
    """The leaders of the school the item belongs to."""
    TRUST = "trust"
    """Any colleague in the trust."""


PRIVATE_AUDIENCES = frozenset({Audience.SELF, Audience.OBSERVER})
"""Audiences a pupil's "no media" flag does not block: the teacher and whoever filmed."""


class ItemKind(enum.Enum):
    """The kinds of item a consent can name."""

    EVIDENCE = "evidence"
    OBSERVATION = "observation"
    CLIP = "clip"


@attrs.frozen
class ItemRef:
    """A reference to one item: its kind and id, written ``kind:id`` (``clip:c42``)."""

    kind: ItemKind
    id: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def parse(cls, text: str, where: str = "item") -> ItemRef:
        """Read ``kind:id``; raise ``ValidationError`` naming the accepted kinds."""
        kind, sep, item_id = text.partition(":")
        accepted = ", ".join(k.value for k in ItemKind)
        if not sep or not item_id or kind not in {k.value for k in ItemKind}:
            raise ValidationError.single(
                where,
                f"{text!r} is not an item reference; write kind:id with kind one of {accepted}",
            )
        return cls(ItemKind(kind), item_id)


WORDING_VERSION = "2026-1"
"""Version of :data:`DEFAULT_WORDING`; stored with every consent granted with it."""

DEFAULT_WORDING: dict[Purpose, str] = {
    Purpose.DEVELOPMENTAL_REVIEW: (
        "I agree that {audience} may look at {item} to support my professional development. "
        "It will not be used to judge my performance. I can withdraw this at any time."
    ),
    Purpose.APPRAISAL_EVIDENCE: (
        "I agree that {item} may be used as evidence in my appraisal, seen by {audience}. "
        "I can withdraw this at any time; it then leaves my appraisal record at once."
    ),
    Purpose.TRAINING_LIBRARY: (
        "I agree that {item} may be kept in the training library for {audience}. "
        "I can withdraw this at any time; it is then removed."
    ),
    Purpose.TRUST_SHARING: (
        "I agree that {item} may be shown to {audience}. I can withdraw this at any time."
    ),
    Purpose.RESEARCH: (
        "I agree that {item} may be counted in anonymised research summaries; nobody will "
        "read it as mine. I can withdraw this at any time."
    ),
}
"""The wording shown to a teacher when the host does not supply its own."""


@attrs.frozen
class ConsentRecord:
    """One consent given by ``subject_id``: a purpose, an audience, an item or a category.

    ``item_id`` names one item of kind ``item_kind``; ``item_id=None`` makes the record a
    category consent covering every item of that kind about the subject. ``wording`` and
    ``wording_version`` are what the subject was shown. ``group_id`` narrows a
    ``LEARNING_GROUP`` consent to one group.
    """

    id: str
    trust_id: TrustId
    subject_id: StaffId
    item_kind: ItemKind
    item_id: str | None
    purpose: Purpose
    audience: Audience
    granted_at: datetime = attrs.field(validator=aware_utc)
    granted_by: str
    wording: str
    wording_version: str
    expires_at: datetime | None = attrs.field(default=None, validator=aware_utc)
    withdrawn_at: datetime | None = attrs.field(default=None, validator=aware_utc)
    withdrawn_by: str | None = None
    group_id: str | None = None
    school_id: SchoolId | None = None
    version: int = 0

    def __attrs_post_init__(self) -> None:
        problems = consent_problems(self)
        if problems:
            raise ValidationError(problems)

    @property
    def item(self) -> ItemRef | None:
        """The one item this consent is about, or ``None`` for a category consent."""
        return None if self.item_id is None else ItemRef(self.item_kind, self.item_id)

    def active(self, as_of: datetime) -> bool:
        """True from ``granted_at`` until it expires or is withdrawn (both exclusive)."""
        if as_of < self.granted_at:
            return False
        if self.withdrawn_at is not None and as_of >= self.withdrawn_at:
            return False
        return self.expires_at is None or as_of < self.expires_at

    def covers(self, item: ItemRef) -> bool:
        """True if the record is about ``item`` (by id, or by its category)."""
        if item.kind is not self.item_kind:
            return False
        return self.item_id is None or self.item_id == item.id

    def describe(self) -> str:
        """Purpose, audience and scope, for messages (never the item's content)."""
        scope = f"item {self.item}" if self.item_id else f"every {self.item_kind.value}"
        return f"{self.purpose.value} for {self.audience.value} on {scope}"


def _non_blank(value: str) -> bool:
    return bool(value and value.strip())


def consent_problems(record: ConsentRecord) -> list[Problem]:
    """What is wrong with a record: wording stored, times in order, ids given."""
    problems: list[Problem] = []
    if not _non_blank(record.subject_id):
        problems.append(Problem("subject_id", "name the staff member the consent is from"))
    if record.item_id is not None and not _non_blank(record.item_id):
        problems.append(Problem("item_id", "give an item id, or None for a category consent"))
    if not _non_blank(record.wording):
        problems.append(
            Problem("wording", "store the exact wording the subject was shown; it is empty")
        )
    if not _non_blank(record.wording_version):
        problems.append(Problem("wording_version", "give the version of the wording shown"))
    if record.expires_at is not None and record.expires_at <= record.granted_at:
        problems.append(
            Problem(
                "expires_at",
                f"{record.expires_at.isoformat()} is not after granted_at "
                f"{record.granted_at.isoformat()}; give a later expiry or none",
            )
        )
    if record.withdrawn_at is not None and record.withdrawn_at < record.granted_at:
        problems.append(Problem("withdrawn_at", "a consent cannot be withdrawn before it began"))
    if record.group_id is not None and record.audience is not Audience.LEARNING_GROUP:
        problems.append(
            Problem("group_id", "only a learning_group consent names a group; leave it None")
        )
    return problems


def withdraw(record: ConsentRecord, *, at: datetime, by: str) -> ConsentRecord:
    """The record withdrawn at ``at``; withdrawing twice keeps the first time."""
    if record.withdrawn_at is not None:
        return record
    return attrs.evolve(record, withdrawn_at=max(at, record.granted_at), withdrawn_by=by)


def find_consent(
    consents: Iterable[ConsentRecord],
    *,
    subject_id: str,
    item: ItemRef,
    purpose: Purpose,
    audience: Audience,
    as_of: datetime,
    item_specific: bool = False,
    group_id: str | None = None,
) -> ConsentRecord | None:
    """The active consent of ``subject_id`` that allows ``purpose`` for ``audience`` on
    ``item`` at ``as_of``, or ``None`` (default deny).

    ``item_specific=True`` ignores category consents (the developmental firewall needs an
    agreement for the very item). An item-specific record is preferred over a category
    one; among equals the latest granted wins. A consent naming a group only matches that
    ``group_id``; one without a group matches any.
    """
    found: list[ConsentRecord] = [
        c
        for c in consents
        if c.subject_id == subject_id
        and c.purpose is purpose
        and c.audience is audience
        and c.covers(item)
        and c.active(as_of)
        and not (item_specific and c.item_id is None)
        and (c.group_id is None or c.group_id == group_id)
    ]
    if not found:
        return None
    return max(found, key=lambda c: (c.item_id is not None, c.granted_at, c.id))


def _after_shared(
    instance: Share, _attribute: attrs.Attribute[Any], value: datetime | None
) -> None:
    aware_utc(instance, _attribute, value)
    if value is not None and value < instance.shared_at:
        raise ValidationError.single("revoked_at", "a share cannot be revoked before it was made")


@attrs.frozen
class Share:
    """An item put in front of named people under a consent (e.g. a clip for a video club).

    ``members`` are the staff who may open it; they are fixed when the share is made, so
    the subject knows exactly who sees the item. The share lasts while its consent lasts
    and until it is revoked.
    """

    id: str
    trust_id: TrustId
    subject_id: StaffId
    item_kind: ItemKind
    item_id: str
    purpose: Purpose
    audience: Audience
    consent_id: str
    shared_by: str
    shared_at: datetime = attrs.field(validator=aware_utc)
    members: tuple[StaffId, ...] = ()
    group_id: str | None = None
    revoked_at: datetime | None = attrs.field(default=None, validator=_after_shared)
    school_id: SchoolId | None = None
    version: int = 0

    @property
    def item(self) -> ItemRef:
        """The shared item."""
        return ItemRef(self.item_kind, self.item_id)

    def active(self, as_of: datetime) -> bool:
        """True from ``shared_at`` until revoked (the consent is checked separately)."""
        return self.shared_at <= as_of and (self.revoked_at is None or as_of < self.revoked_at)


def revoke_share(share: Share, at: datetime) -> Share:
    """The share revoked at ``at`` (revoking twice keeps the first time)."""
    if share.revoked_at is not None:
        return share
    return attrs.evolve(share, revoked_at=max(at, share.shared_at))
