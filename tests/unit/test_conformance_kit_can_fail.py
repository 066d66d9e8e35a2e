"""The conformance kit catches broken adapters: it is a specification, not a formality."""

from __future__ import annotations

import pytest

BROKEN_STORES = '''
import pytest
from cpdcore.memory import InMemoryStorage, InMemoryUnitOfWork, InMemoryRepository
from cpdcore.testing import StorageConformance


class LosesLastWriteUoW(InMemoryUnitOfWork):
    """Commits every staged write except the last one."""

    def commit(self):
        if self._writes:
            last = list(self._writes)[-1]
            del self._writes[last]
        super().commit()


class LosesLastWrite(InMemoryStorage):
    def unit_of_work(self):
        return LosesLastWriteUoW(self)


class LeakyRepository(InMemoryRepository):
    """Ignores the trust when listing: returns other tenants' rows."""

    def list(self, trust_id, **kwargs):
        page = super().list(trust_id, **kwargs)
        others = [
            value
            for key, value in self._uow.storage._records.items()
            if key[0] is self._kind and key[1] != trust_id
        ]
        return type(page)(items=[*page.items, *others], next_cursor=page.next_cursor)


class LeakyUoW(InMemoryUnitOfWork):
    def repository(self, kind):
        return LeakyRepository(self, kind)


class LeaksTenants(InMemoryStorage):
    def unit_of_work(self):
        return LeakyUoW(self)


class OverwritesBlindly(InMemoryStorage):
    """Skips the optimistic-locking check."""

    def unit_of_work(self):
        uow = InMemoryUnitOfWork(self)
        original = uow.repository

        def repository(kind):
            repo = original(kind)
            repo._check_version = lambda record: repo._key(record.trust_id, record.id)
            return repo

        uow.repository = repository
        return uow


class TestLosesLastWrite(StorageConformance):
    @pytest.fixture
    def storage(self):
        return LosesLastWrite()


class TestLeaksTenants(StorageConformance):
    @pytest.fixture
    def storage(self):
        return LeaksTenants()


class TestOverwritesBlindly(StorageConformance):
    @pytest.fixture
    def storage(self):
        return OverwritesBlindly()
'''


def test_broken_stores_fail_the_storage_kit(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_broken=BROKEN_STORES)
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) > 0
    failed = {
        line.split("::")[1]
        for line in result.outlines
        if line.startswith("FAILED") and "::" in line
    }
    assert failed == {"TestLosesLastWrite", "TestLeaksTenants", "TestOverwritesBlindly"}
    text = result.stdout.str()
    assert "TestLeaksTenants::test_a_trust_never_sees_another_trusts_records" in text
    assert "TestLosesLastWrite::test_every_write_of_a_sequence_is_durable" in text
    assert "TestOverwritesBlindly::test_stale_update_raises_conflict_naming_the_record" in text


BROKEN_MEDIA = '''
import pytest
from cpdcore.memory import InMemoryMediaStore
from cpdcore.testing import MediaStoreConformance


class TruncatingMedia(InMemoryMediaStore):
    """Drops the last byte of every item."""

    def open(self, trust_id, media_id):
        data = b"".join(super().open(trust_id, media_id))
        return iter([data[:-1]])


class TestTruncatingMedia(MediaStoreConformance):
    @pytest.fixture
    def media_store(self):
        return TruncatingMedia()

    @pytest.fixture
    def limited_media_store(self):
        return TruncatingMedia()
'''


def test_broken_media_store_fails_the_media_kit(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_broken_media=BROKEN_MEDIA)
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 3
    assert "test_round_trip_from_a_stream" in result.stdout.str()
