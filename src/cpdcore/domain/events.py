"""Domain events: facts a host may want to react to (notify, sync), sent after commit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from cpdcore.domain.identifiers import SchoolId, TrustId
from cpdcore.domain.timestamps import aware_utc

__all__ = ["Event"]


@attrs.frozen
class Event:
    """Something that happened, e.g. ``objective.agreed`` or ``rag.turned_red``.

    ``data`` holds identifiers and small facts only, never personal content, so that an
    event can be passed to a notification service safely.
    """

    name: str
    trust_id: TrustId
    record_id: str
    at: datetime = attrs.field(validator=aware_utc)
    school_id: SchoolId | None = None
    actor_id: str | None = None
    data: Mapping[str, str] = attrs.field(factory=dict)
