"""Fixtures shared by the cpdcore-media-fs tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cpdcore_media_fs import EncryptedFileStore

from cpdcore.domain.media import DEFAULT_SIZE_LIMITS, MediaKind


@pytest.fixture
def kek() -> bytes:
    """A fresh key-encryption key."""
    return os.urandom(32)


@pytest.fixture
def store(tmp_path: Path, kek: bytes) -> EncryptedFileStore:
    """A store with small segments, so tests cross segment boundaries cheaply."""
    return EncryptedFileStore(
        tmp_path / "media",
        kek,
        segment_size=256,
        size_limits={**DEFAULT_SIZE_LIMITS, MediaKind.PHOTO: 1_000_000},
    )
