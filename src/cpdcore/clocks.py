"""Clocks for the application layer; the domain never reads one, it is passed ``as_of``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from cpdcore.domain.timestamps import utc

__all__ = ["FixedClock", "SystemClock"]


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current instant."""
        return datetime.now(UTC)

    def today(self) -> date:
        """Today's date in UTC."""
        return self.now().date()


class FixedClock:
    """A clock that only moves when told to: for tests, demos and replaying history."""

    def __init__(self, at: datetime) -> None:
        self._at = utc(at)

    def now(self) -> datetime:
        """The instant the clock is set to."""
        return self._at

    def today(self) -> date:
        """The date the clock is set to."""
        return self._at.date()

    def set(self, at: datetime) -> None:
        """Move the clock to ``at``."""
        self._at = utc(at)

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self._at = self._at + delta
