"""Rules for instants: every stored time is timezone-aware and in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs

from cpdcore.errors import ValidationError

__all__ = ["aware_utc", "utc"]


def utc(value: datetime) -> datetime:
    """Return ``value`` converted to UTC; naive datetimes are rejected, not guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError.single(
            "", f"naive datetime {value.isoformat()} has no time zone; pass an aware UTC datetime"
        )
    return value.astimezone(UTC)


def aware_utc(_instance: Any, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    """attrs validator: the field holds an aware datetime in UTC (or ``None``)."""
    if value is None:
        return
    if value.tzinfo is None or value.utcoffset() is None or value.utcoffset().total_seconds():  # type: ignore[union-attr]
        raise ValidationError.single(
            attribute.name,
            f"expected a timezone-aware UTC datetime, got {value.isoformat()}",
        )
