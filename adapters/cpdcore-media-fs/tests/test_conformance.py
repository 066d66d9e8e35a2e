"""The encrypted file store passes the MediaStore conformance kit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cpdcore_media_fs import EncryptedFileStore

from cpdcore.domain.media import DEFAULT_SIZE_LIMITS, MediaKind
from cpdcore.testing import MediaStoreConformance


class TestEncryptedFileStore(MediaStoreConformance):
    @pytest.fixture
    def media_store(self, tmp_path: Path) -> Iterator[EncryptedFileStore]:
        store = EncryptedFileStore(tmp_path / "media", os.urandom(32))
        yield store
        store.close()

    @pytest.fixture
    def limited_media_store(self, tmp_path: Path) -> Iterator[EncryptedFileStore]:
        store = EncryptedFileStore(
            tmp_path / "limited",
            os.urandom(32),
            size_limits={**DEFAULT_SIZE_LIMITS, MediaKind.PHOTO: 1000},
        )
        yield store
        store.close()


class TestEncryptedFileStoreStreamingInOnePass(TestEncryptedFileStore):
    """The same contract when reads stream in one pass (SHA-256 checked at the end)."""

    @pytest.fixture
    def media_store(self, tmp_path: Path) -> Iterator[EncryptedFileStore]:
        store = EncryptedFileStore(tmp_path / "media", os.urandom(32), verify_before_release=False)
        yield store
        store.close()
