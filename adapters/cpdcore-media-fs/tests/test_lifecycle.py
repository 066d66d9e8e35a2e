"""Crypto-shredding deletes, atomic and rejected writes, and key rotation."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from cpdcore_media_fs import EncryptedFileStore, MediaCorrupted
from cpdcore_media_fs.envelope import ItemBinding, unwrap_data_key
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cpdcore.domain.identifiers import MediaId, TrustId
from cpdcore.domain.media import DEFAULT_SIZE_LIMITS, MediaInfo, MediaKind
from cpdcore.errors import ConfigurationError, NotFound, ValidationError

T1 = TrustId("trust-north")
SEGMENT = 256
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 40
PNG_HEAD = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "lock")


def data_keys_recoverable(root: Path, keks: list[bytes]) -> list[bytes]:
    """Every data key anyone holding ``keks`` could unwrap from what is on disk."""
    found = []
    for key_file in root.rglob("*.key*"):
        try:
            doc = json.loads(key_file.read_bytes())
            wrapped = base64.b64decode(doc["wrapped_key"])
        except (ValueError, KeyError):
            continue
        media_id = key_file.name.split(".")[0]
        for kek in keks:
            binding = ItemBinding(key_file.parent.parent.name, media_id)
            with contextlib.suppress(MediaCorrupted):
                found.append(unwrap_data_key(kek, wrapped, binding))
    return found


def put_clip(store: EncryptedFileStore, size: int = 3 * SEGMENT) -> MediaInfo:
    return store.put(T1, io.BytesIO(MP4_HEAD + os.urandom(size)), kind=MediaKind.VIDEO)


# --- crypto-shredding ---------------------------------------------------------------


def test_after_delete_nothing_of_the_item_is_decryptable(
    store: EncryptedFileStore, kek: bytes
) -> None:
    keep = put_clip(store)
    gone = put_clip(store)
    [key_file] = store.root.glob(f"items/*/*/{gone.media_id}.key")
    wrapped = json.loads(key_file.read_text())["wrapped_key"].encode()
    ciphertext = key_file.with_suffix(".data").read_bytes()  # as a backup would hold it

    assert store.delete(T1, gone.media_id) is True

    remaining = files_under(store.root)
    assert all(gone.media_id not in p.name for p in remaining)
    assert all(wrapped not in p.read_bytes() for p in remaining)
    # the only data keys the KEK still opens are the surviving item's, and none of them
    # (nor the KEK itself) opens a single segment of the deleted ciphertext
    keys = data_keys_recoverable(store.root, [kek])
    assert len(keys) == 1
    first_segment = ciphertext[12 : 12 + SEGMENT + 16]
    for candidate in [*keys, kek]:
        for nonce_final in (b"\x00", b"\x01"):
            with pytest.raises(InvalidTag):
                AESGCM(candidate).decrypt(b"S" + nonce_final + bytes(10), first_segment, None)
    assert b"".join(store.open(T1, keep.media_id))


def test_the_key_is_destroyed_before_the_ciphertext(
    store: EncryptedFileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = put_clip(store)
    real_unlink = Path.unlink

    def crash_on_data(self: Path, missing_ok: bool = False) -> None:
        if self.suffix == ".data":
            raise OSError("power cut")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", crash_on_data)
    with pytest.raises(OSError, match="power cut"):
        store.delete(T1, info.media_id)
    monkeypatch.undo()
    # the item is already gone: the key file went first
    with pytest.raises(NotFound):
        store.info(T1, info.media_id)
    assert list(store.root.glob("items/*/*/*.key")) == []
    # the orphaned ciphertext is swept later
    assert store.sweep(older_than_seconds=0) == 1
    assert files_under(store.root) == []


def test_delete_of_a_missing_item_cleans_an_orphaned_data_file(store: EncryptedFileStore) -> None:
    info = put_clip(store)
    [key_file] = store.root.glob("items/*/*/*.key")
    key_file.unlink()
    assert store.delete(T1, info.media_id) is False
    assert files_under(store.root) == []


# --- writes -------------------------------------------------------------------------


def test_a_size_limit_hit_mid_stream_leaves_nothing(tmp_path: Path, kek: bytes) -> None:
    store = EncryptedFileStore(
        tmp_path,
        kek,
        segment_size=SEGMENT,
        size_limits={**DEFAULT_SIZE_LIMITS, MediaKind.PHOTO: 5000},
    )
    pulled = []

    def upload() -> Iterator[bytes]:
        yield PNG_HEAD
        for _ in range(100):
            pulled.append(1)
            yield os.urandom(1000)

    with pytest.raises(ValidationError, match="limit of 5000 bytes") as caught:
        store.put(T1, upload(), kind=MediaKind.PHOTO, filename="selfie.png")
    assert caught.value.where == "selfie.png"
    assert len(pulled) <= 6  # stopped reading as soon as the limit was passed
    assert files_under(tmp_path) == []


def test_an_interrupted_upload_leaves_nothing(store: EncryptedFileStore) -> None:
    def upload() -> Iterator[bytes]:
        yield MP4_HEAD
        yield os.urandom(5000)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.put(T1, upload(), kind=MediaKind.VIDEO)
    assert files_under(store.root) == []
    assert list(store.list(T1)) == []


def test_a_crash_before_the_key_lands_leaves_no_visible_item(
    store: EncryptedFileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace

    def crash_on_key(src: str | Path, dst: str | Path) -> None:
        if str(dst).endswith(".key"):
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_key)
    with pytest.raises(OSError, match="disk full"):
        put_clip(store)
    monkeypatch.undo()
    assert list(store.list(T1)) == []
    assert files_under(store.root) == []


def test_files_are_private_to_the_owner(store: EncryptedFileStore) -> None:
    put_clip(store)
    for path in files_under(store.root):
        assert path.stat().st_mode & 0o077 == 0


# --- key rotation -------------------------------------------------------------------


def digests(root: Path, suffix: str) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob(f"*{suffix}")}


def test_rotation_rewraps_keys_without_touching_the_media(tmp_path: Path) -> None:
    old, new = os.urandom(32), os.urandom(32)
    before = EncryptedFileStore(tmp_path, old, segment_size=SEGMENT)
    items = {put_clip(before).media_id for _ in range(4)}
    contents = {m: b"".join(before.open(T1, m)) for m in items}
    data_before, keys_before = digests(tmp_path, ".data"), digests(tmp_path, ".key")

    rotating = EncryptedFileStore(tmp_path, new, previous_keks=[old], segment_size=SEGMENT)
    report = rotating.rotate()

    assert (report.rewrapped, report.already_current, report.complete) == (4, 0, True)
    assert digests(tmp_path, ".data") == data_before  # no media re-encrypted
    keys_after = digests(tmp_path, ".key")
    assert all(keys_after[name] != keys_before[name] for name in keys_before)
    after = EncryptedFileStore(tmp_path, new, segment_size=SEGMENT)
    assert {m: b"".join(after.open(T1, m)) for m in items} == contents
    assert data_keys_recoverable(tmp_path, [old]) == []  # the old KEK opens nothing now
    with pytest.raises(ConfigurationError, match="previous_keks"):
        before.open(T1, MediaId(next(iter(items))))


def test_an_interrupted_rotation_resumes(tmp_path: Path) -> None:
    old, new = os.urandom(32), os.urandom(32)
    first = EncryptedFileStore(tmp_path, old, segment_size=SEGMENT)
    items = [put_clip(first).media_id for _ in range(5)]
    rotating = EncryptedFileStore(tmp_path, new, previous_keks=[old], segment_size=SEGMENT)
    done: list[MediaId] = []

    def stop_after_two(media_id: MediaId) -> None:
        done.append(media_id)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotating.rotate(progress=stop_after_two)
    # mid-rotation every item is readable by a store that knows both keys
    assert all(b"".join(rotating.open(T1, m)) for m in items)
    assert len(data_keys_recoverable(tmp_path, [new])) == 2
    assert list(tmp_path.joinpath("tmp").iterdir()) == []

    report = EncryptedFileStore(tmp_path, new, previous_keks=[old]).rotate()
    assert (report.rewrapped, report.already_current) == (3, 2)
    assert EncryptedFileStore(tmp_path, new).rotate().already_current == 5
    only_new = EncryptedFileStore(tmp_path, new, segment_size=SEGMENT)
    assert all(only_new.verify(T1, m).media_id == m for m in items)


def test_rotation_reports_items_it_cannot_unwrap_and_carries_on(tmp_path: Path) -> None:
    old, new, lost = os.urandom(32), os.urandom(32), os.urandom(32)
    put_clip(EncryptedFileStore(tmp_path, old))
    orphan = put_clip(EncryptedFileStore(tmp_path, lost))
    report = EncryptedFileStore(tmp_path, new, previous_keks=[old]).rotate()
    assert report.rewrapped == 1
    assert not report.complete
    [failure] = report.failures
    assert failure.media_id == orphan.media_id
    assert "previous_keks" in failure.reason


# --- streaming ----------------------------------------------------------------------


def test_put_and_get_run_in_constant_memory(tmp_path: Path, kek: bytes) -> None:
    store = EncryptedFileStore(tmp_path, kek)  # default 1 MiB segments
    block = os.urandom(1024 * 1024)
    size_mib = 24

    def upload() -> Iterator[bytes]:
        yield MP4_HEAD
        for _ in range(size_mib):
            yield block

    tracemalloc.start()
    try:
        info = store.put(T1, upload(), kind=MediaKind.VIDEO)
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        total = sum(len(chunk) for chunk in store.open(T1, info.media_id))
        _, get_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == info.size == len(MP4_HEAD) + size_mib * len(block)
    # a few segments' worth, far from the 24 MiB of the clip
    assert put_peak < 8 * 1024 * 1024, put_peak
    assert get_peak < 8 * 1024 * 1024
