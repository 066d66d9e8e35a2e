"""Review meetings (mid-year and final) and the comments written for them.

The appraiser writes a summary and the appraisee may add their own view, for the whole
cycle or for one objective. Comments are kept as separate records so both voices stay
distinct and nothing one person writes overwrites the other's words.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from cpdcore.domain.identifiers import CycleId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import Party
from cpdcore.domain.timestamps import aware_utc
from cpdcore.errors import ValidationError

__all__ = ["ReviewComment", "ReviewStage"]


class ReviewStage(enum.Enum):
    """Which review meeting a comment or pack is for."""

    MID_YEAR = "mid_year"
    FINAL = "final"


@attrs.frozen
class ReviewComment:
    """What one party wrote for a review meeting, about the cycle or one objective."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    cycle_id: CycleId
    appraisee_id: StaffId
    stage: ReviewStage
    party: Party
    author_id: str
    text: str
    written_at: datetime = attrs.field(validator=aware_utc)
    objective_id: ObjectiveId | None = None
    version: int = 0

    def __attrs_post_init__(self) -> None:
        if not self.text.strip():
            raise ValidationError.single("text", "a review comment needs some text")
