"""The in-memory reference adapters pass the conformance kit."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpdcore.domain.media import DEFAULT_SIZE_LIMITS, MediaKind
from cpdcore.memory import InMemoryMediaStore, InMemoryMisSource, InMemoryStorage
from cpdcore.testing import MediaStoreConformance, MisSourceConformance, StorageConformance
from cpdcore.testing.conformance import MisSample


class TestInMemoryStorage(StorageConformance):
    @pytest.fixture
    def storage(self) -> InMemoryStorage:
        return InMemoryStorage()


class TestInMemoryMediaStore(MediaStoreConformance):
    @pytest.fixture
    def media_store(self) -> InMemoryMediaStore:
        return InMemoryMediaStore()

    @pytest.fixture
    def limited_media_store(self) -> InMemoryMediaStore:
        return InMemoryMediaStore(size_limits={**DEFAULT_SIZE_LIMITS, MediaKind.PHOTO: 1000})


class TestInMemoryMisSource(MisSourceConformance):
    def make_mis_source(self, sample: MisSample, tmp_path: Path) -> InMemoryMisSource:
        return InMemoryMisSource(
            orgs_=list(sample.orgs),
            staff_=list(sample.staff),
            classes_=list(sample.classes),
            links_=list(sample.links),
            media_consent_=list(sample.media_consent),
            outcomes_=list(sample.outcomes),
            line_management_=list(sample.line_management),
        )
