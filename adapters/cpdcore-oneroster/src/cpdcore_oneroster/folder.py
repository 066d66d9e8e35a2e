"""A folder holding a OneRoster 1.2 CSV export, served as a :class:`cpdcore.ports.MisSource`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cpdcore.domain.roster import (
    FeedMode,
    LineManagementRow,
    MisClass,
    MisDataset,
    MisOrg,
    MisStaff,
    OutcomeWeek,
    PupilMediaConsent,
    TeacherClassLink,
)
from cpdcore.errors import ConfigurationError
from cpdcore_oneroster.bundle import OneRosterBundle, ReadProgress, read_bundle

__all__ = ["SCHEME", "OneRosterFolder", "folder_of"]

SCHEME = "oneroster+file"


def folder_of(url: str) -> Path:
    """The folder a ``oneroster+file://`` URL names (``oneroster+file:///abs/dir`` or
    ``oneroster+file://relative/dir``)."""
    parts = urlsplit(url)
    if parts.scheme != SCHEME:
        raise ConfigurationError(f"{url!r} is not a {SCHEME}:// URL; write {SCHEME}:///path/to/dir")
    text = unquote(parts.netloc + parts.path)
    if not text:
        raise ConfigurationError(f"{url!r} names no folder; write {SCHEME}:///path/to/dir")
    return Path(text)


class OneRosterFolder:
    """The export in one folder. Files are read and checked on first use, all at once;
    a broken export raises :class:`~cpdcore.errors.ValidationError` listing every problem."""

    def __init__(self, folder: Path | str, *, url: str | None = None) -> None:
        self.folder = Path(folder)
        self.url = url or f"{SCHEME}://{self.folder.resolve()}"
        self._bundle: OneRosterBundle | None = None

    @classmethod
    def from_url(cls, url: str) -> OneRosterFolder:
        """The source for a ``oneroster+file://`` URL."""
        return cls(folder_of(url), url=url)

    def load(self, progress: ReadProgress | None = None) -> OneRosterBundle:
        """Read and check the files now (later calls reuse the result)."""
        if self._bundle is None:
            self._bundle = read_bundle(self.folder, progress)
        return self._bundle

    def orgs(self) -> Iterator[MisOrg]:
        """The district (as the trust) and its schools."""
        return iter(self.load().orgs)

    def staff(self) -> Iterator[MisStaff]:
        """Users holding a staff role, with their roles per school; inactive ones too."""
        return iter(self.load().staff)

    def classes(self) -> Iterator[MisClass]:
        """Classes with their pupil head counts from the student enrolments."""
        return iter(self.load().classes)

    def teacher_classes(self) -> Iterator[TeacherClassLink]:
        """Teacher enrolments."""
        return iter(self.load().links)

    def pupil_media_consent(self, class_sourced_id: str) -> Sequence[PupilMediaConsent]:
        """Rows of ``pupil_media_consent.csv`` for one class."""
        return self.load().media_consent.get(class_sourced_id, ())

    def outcomes(
        self, *, school_sourced_id: str | None = None, since: date | None = None
    ) -> Iterator[OutcomeWeek]:
        """Rows of ``outcomes.csv``, optionally for one school and from a date."""
        return iter(
            [
                o
                for o in self.load().outcomes
                if (school_sourced_id is None or o.school_sourced_id == school_sourced_id)
                and (since is None or o.week_start >= since)
            ]
        )

    def line_management(self) -> Iterator[LineManagementRow]:
        """Rows of ``line_management.csv``."""
        return iter(self.load().line_management)

    def modes(self) -> Mapping[MisDataset, FeedMode]:
        """Bulk, delta or absent per dataset, from ``manifest.csv``."""
        return self.load().modes
