"""How long each kind of personal data is kept, and what happens when the time is up.

A school sets a :class:`RetentionPolicy`: one :class:`RetentionRule` per
:class:`RetentionCategory`, each a number of months counted from an :class:`Anchor` (when
the record was made, when the person left, when a consent or share ended) and a
:class:`Disposal` (delete, or anonymise when others' records still point at it).
:data:`DEFAULT_POLICY` holds the documented defaults; ``apply_retention`` in
:mod:`cpdcore.services.gdpr` applies a policy.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date

import attrs
from dateutil.relativedelta import relativedelta

from cpdcore.domain.evidence import MEDIA_KINDS, Evidence, EvidencePurpose
from cpdcore.errors import ValidationError

__all__ = [
    "DEFAULT_POLICY",
    "Anchor",
    "Disposal",
    "RetentionCategory",
    "RetentionPolicy",
    "RetentionRule",
    "category_of_evidence",
    "due",
    "expires_on",
    "rules_table",
]


class RetentionCategory(enum.Enum):
    """Groups of records that share one retention period."""

    DEVELOPMENTAL_MEDIA = "developmental_media"
    """Developmental clips and photos (and any developmental item with media)."""
    DEVELOPMENTAL_RECORDS = "developmental_records"
    """Developmental notes, reflections, peer feedback, links."""
    APPRAISAL_RECORDS = "appraisal_records"
    """Objectives, progress, review comments, formal evidence, appraiser assignments."""
    CPD_RECORDS = "cpd_records"
    """The CPD log: courses, hours, reflections."""
    STAFF_RECORD = "staff_record"
    """A leaver's name and contact details."""
    CONSENT_RECORDS = "consent_records"
    """Ended consents, kept as proof of what was agreed and withdrawn."""
    SHARES = "shares"
    """Revoked shares."""
    AUDIT_PAYLOADS = "audit_payloads"
    """Details in audit entries about a leaver (the chain itself is kept)."""


class Anchor(enum.Enum):
    """The day a retention period counts from."""

    CREATED = "created"
    LEFT = "left"
    """The day the person was marked as a leaver; nothing expires while they work here."""
    ENDED = "ended"
    """The day a consent was withdrawn or expired, or a share was revoked."""


class Disposal(enum.Enum):
    """What happens to an expired record."""

    DELETE = "delete"
    ANONYMISE = "anonymise"
    """Names and contact details are replaced; ids other records use are kept."""
    REDACT = "redact"
    """For audit entries: the payload goes, the digest and the chain stay."""


@attrs.frozen
class RetentionRule:
    """Keep ``category`` for ``months`` after ``anchor``, then apply ``disposal``."""

    category: RetentionCategory
    months: int
    anchor: Anchor
    disposal: Disposal
    why: str = ""

    def __attrs_post_init__(self) -> None:
        if self.months < 0:
            raise ValidationError.single(
                f"rules.{self.category.value}.months",
                f"must be zero or more months, got {self.months}",
            )


@attrs.frozen
class RetentionPolicy:
    """One rule per category; build a school's own with :meth:`with_months`."""

    rules: tuple[RetentionRule, ...]

    def __attrs_post_init__(self) -> None:
        missing = sorted(
            c.value for c in RetentionCategory if c not in {r.category for r in self.rules}
        )
        if missing:
            raise ValidationError.single(
                "rules", f"no rule for {', '.join(missing)}; every category needs one"
            )

    def rule(self, category: RetentionCategory) -> RetentionRule:
        """The rule for ``category``."""
        return next(r for r in self.rules if r.category is category)

    def with_months(self, category: RetentionCategory, months: int) -> RetentionPolicy:
        """The policy with another period for one category (a school's own choice)."""
        return RetentionPolicy(
            tuple(
                attrs.evolve(r, months=months) if r.category is category else r for r in self.rules
            )
        )


def _rule(
    category: RetentionCategory, months: int, anchor: Anchor, disposal: Disposal, why: str
) -> RetentionRule:
    return RetentionRule(category, months, anchor, disposal, why)


DEFAULT_POLICY = RetentionPolicy(
    (
        _rule(
            RetentionCategory.DEVELOPMENTAL_MEDIA,
            12,
            Anchor.CREATED,
            Disposal.DELETE,
            "clips show pupils; a year covers the cycle they were made for",
        ),
        _rule(
            RetentionCategory.DEVELOPMENTAL_RECORDS,
            12,
            Anchor.LEFT,
            Disposal.DELETE,
            "the teacher's own development record, kept while they work here",
        ),
        _rule(
            RetentionCategory.APPRAISAL_RECORDS,
            72,
            Anchor.LEFT,
            Disposal.DELETE,
            "6 years after leaving: the limitation period for employment claims",
        ),
        _rule(
            RetentionCategory.CPD_RECORDS,
            72,
            Anchor.LEFT,
            Disposal.DELETE,
            "6 years after leaving, as employment records",
        ),
        _rule(
            RetentionCategory.STAFF_RECORD,
            72,
            Anchor.LEFT,
            Disposal.ANONYMISE,
            "after the appraisal records it explains have gone",
        ),
        _rule(
            RetentionCategory.CONSENT_RECORDS,
            72,
            Anchor.ENDED,
            Disposal.DELETE,
            "proof of what was agreed and withdrawn (UK GDPR Art. 7(1))",
        ),
        _rule(
            RetentionCategory.SHARES,
            12,
            Anchor.ENDED,
            Disposal.DELETE,
            "a year of history of who could see an item",
        ),
        _rule(
            RetentionCategory.AUDIT_PAYLOADS,
            72,
            Anchor.LEFT,
            Disposal.REDACT,
            "the chain is kept for integrity; details about a leaver go with their records",
        ),
    )
)
"""The defaults cpdcore applies when a school sets no policy of its own."""


def expires_on(rule: RetentionRule, anchor_day: date | None) -> date | None:
    """The first day the record is past its retention, or ``None`` while the anchor has
    not happened (the person still works here, the consent still stands)."""
    if anchor_day is None:
        return None
    return anchor_day + relativedelta(months=rule.months)


def due(rule: RetentionRule, anchor_day: date | None, as_of: date) -> bool:
    """True if a record anchored on ``anchor_day`` is past retention on ``as_of``."""
    end = expires_on(rule, anchor_day)
    return end is not None and as_of >= end


def category_of_evidence(evidence: Evidence) -> RetentionCategory:
    """The retention category of an evidence item (by purpose and media)."""
    if evidence.purpose is EvidencePurpose.FORMAL:
        return RetentionCategory.APPRAISAL_RECORDS
    if evidence.media_id is not None or evidence.kind in MEDIA_KINDS:
        return RetentionCategory.DEVELOPMENTAL_MEDIA
    return RetentionCategory.DEVELOPMENTAL_RECORDS


def rules_table(policy: RetentionPolicy) -> Iterable[tuple[str, int, str, str, str]]:
    """``(category, months, anchor, disposal, why)`` rows, e.g. for documentation."""
    return [
        (r.category.value, r.months, r.anchor.value, r.disposal.value, r.why) for r in policy.rules
    ]
