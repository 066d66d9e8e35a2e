"""Round trips, and every kind of tampering is detected with no plaintext released."""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
from pathlib import Path

import attrs
import pytest
from cpdcore_media_fs import EncryptedFileStore, MediaCorrupted
from cpdcore_media_fs.envelope import (
    HEADER_SIZE,
    TAG_SIZE,
    ItemBinding,
    ItemMeta,
    SegmentSealer,
    new_data_key,
    open_segments,
    sealed_length,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpdcore.domain.identifiers import MediaId, TrustId
from cpdcore.domain.media import MediaInfo, MediaKind
from cpdcore.errors import ConfigurationError, CpdError

T1 = TrustId("trust-north")
SEGMENT = 256
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 40

# sizes around segment boundaries, and a spread of others
BOUNDARY_SIZES = st.sampled_from(
    [k * SEGMENT + d for k in range(5) for d in (-1, 0, 1) if k * SEGMENT + d >= 0]
)
SIZES = st.one_of(BOUNDARY_SIZES, st.integers(0, 6 * SEGMENT))


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """Split ``data`` at the given (unsorted, possibly repeated) positions."""
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def seal(data: bytes, key: bytes, binding: ItemBinding) -> tuple[bytes, ItemMeta]:
    sealer = SegmentSealer(key, binding, SEGMENT)
    sealed = b"".join(sealer.seal([data]))
    meta = ItemMeta(
        trust_id="t",
        media_id=binding.media_id,
        kind="video",
        content_type="video/mp4",
        size=sealer.size,
        sha256=sealer.sha256(),
        segment_size=SEGMENT,
        segments=sealer.segments,
    )
    return sealed, meta


def unseal(sealed: bytes, key: bytes, binding: ItemBinding, meta: ItemMeta) -> list[bytes]:
    return list(open_segments(io.BytesIO(sealed).read, key, binding, meta))


BINDING = ItemBinding("trustkey", "a" * 32, "t")


# --- the segment format on its own, including empty items ----------------------------


@given(
    data=st.binary(max_size=0) | SIZES.flatmap(lambda n: st.binary(min_size=n, max_size=n)),
    cuts=st.lists(st.integers(0, 10_000), max_size=8),
)
def test_sealing_round_trips_every_size_and_chunking(data: bytes, cuts: list[int]) -> None:
    key = new_data_key()
    sealer = SegmentSealer(key, BINDING, SEGMENT)
    sealed = b"".join(sealer.seal(chunked(data, cuts)))
    assert len(sealed) == sealed_length(len(data), SEGMENT)
    meta = ItemMeta(
        "t",
        BINDING.media_id,
        "video",
        "video/mp4",
        len(data),
        sealer.sha256(),
        SEGMENT,
        sealer.segments,
    )
    pieces = unseal(sealed, key, BINDING, meta)
    assert b"".join(pieces) == data
    assert all(len(p) <= SEGMENT for p in pieces)


def test_an_empty_item_is_one_final_segment() -> None:
    sealed, meta = seal(b"", new_data_key(), BINDING)
    assert meta.segments == 1
    assert len(sealed) == HEADER_SIZE + TAG_SIZE


def test_cutting_at_a_segment_boundary_is_caught_by_the_final_flag() -> None:
    # An attacker who could also shorten the recorded length (here: a forged meta) still
    # fails: the new last segment was sealed as "not final".
    key = new_data_key()
    sealed, meta = seal(os.urandom(3 * SEGMENT), key, BINDING)
    cut = sealed[: HEADER_SIZE + 2 * (SEGMENT + TAG_SIZE)]
    forged = attrs.evolve(meta, size=2 * SEGMENT, segments=2)
    with pytest.raises(MediaCorrupted, match="segment 2 of 2"):
        unseal(cut, key, BINDING, forged)


def test_segments_of_another_item_do_not_authenticate() -> None:
    key = new_data_key()
    sealed, meta = seal(os.urandom(2 * SEGMENT), key, BINDING)
    other = ItemBinding("trustkey", "b" * 32, "t")
    with pytest.raises(MediaCorrupted, match="segment 1 of 2"):
        unseal(sealed, key, other, attrs.evolve(meta, media_id=other.media_id))


# --- the store ----------------------------------------------------------------------


def files_of(store: EncryptedFileStore, info: MediaInfo) -> tuple[Path, Path]:
    [key] = list(store.root.glob(f"items/*/*/{info.media_id}.key"))
    return key, key.with_suffix(".data")


def put_clip(store: EncryptedFileStore, size: int = 5 * SEGMENT) -> tuple[MediaInfo, bytes]:
    content = MP4_HEAD + os.urandom(size)
    return store.put(T1, io.BytesIO(content), kind=MediaKind.VIDEO), content


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=SIZES, cuts=st.lists(st.integers(0, 10_000), max_size=6))
def test_store_round_trips_sizes_around_segment_boundaries(
    store: EncryptedFileStore, size: int, cuts: list[int]
) -> None:
    content = MP4_HEAD + os.urandom(size)
    info = store.put(T1, iter(chunked(content, cuts)), kind=MediaKind.VIDEO)
    assert info.size == len(content)
    assert b"".join(store.open(T1, info.media_id)) == content
    data = files_of(store, info)[1]
    assert data.stat().st_size == sealed_length(len(content), SEGMENT)


def test_nothing_readable_is_on_disk(store: EncryptedFileStore) -> None:
    marker = b"LESSON-CLIP-PLAINTEXT-MARKER" * 20
    info = store.put(T1, io.BytesIO(MP4_HEAD + marker), kind=MediaKind.VIDEO, filename="y9.mp4")
    every_byte = b"".join(p.read_bytes() for p in store.root.rglob("*") if p.is_file())
    for secret in (marker[:28], b"trust-north", b"video/mp4", b"y9.mp4", b"ftypisom"):
        assert secret not in every_byte
    # ids are random and appear only as file names, never derived from the content
    assert any(info.media_id in p.name for p in store.root.rglob("*"))


def test_equal_content_is_not_detectable(store: EncryptedFileStore) -> None:
    content = MP4_HEAD + b"\x00" * 1000
    a = store.put(T1, io.BytesIO(content), kind=MediaKind.VIDEO)
    b = store.put(T1, io.BytesIO(content), kind=MediaKind.VIDEO)
    assert files_of(store, a)[1].read_bytes() != files_of(store, b)[1].read_bytes()


@pytest.mark.parametrize("verify_first", [True, False])
@pytest.mark.parametrize(
    "offset",
    [0, HEADER_SIZE - 1, HEADER_SIZE, HEADER_SIZE + SEGMENT + 3, -TAG_SIZE, -1],
    ids=["magic", "header", "first-segment", "second-segment", "last-tag", "last-byte"],
)
def test_a_flipped_byte_is_detected_and_names_the_item(
    tmp_path: Path, kek: bytes, offset: int, verify_first: bool
) -> None:
    store = EncryptedFileStore(
        tmp_path, kek, segment_size=SEGMENT, verify_before_release=verify_first
    )
    info, _content = put_clip(store)
    data = files_of(store, info)[1]
    raw = bytearray(data.read_bytes())
    raw[offset] ^= 0x01
    data.write_bytes(bytes(raw))
    position = offset % len(raw)
    released: list[bytes] = []
    with pytest.raises(MediaCorrupted) as caught:
        released.extend(store.open(T1, info.media_id))
    assert isinstance(caught.value, CpdError)
    assert info.media_id in str(caught.value)
    assert "trust-north" in str(caught.value)
    if verify_first or position < HEADER_SIZE + SEGMENT + TAG_SIZE:
        assert released == []
    else:  # streaming: only whole segments before the damaged one, all authentic
        assert len(released) == (position - HEADER_SIZE) // (SEGMENT + TAG_SIZE)


def test_streaming_mode_releases_only_authenticated_segments_before_the_damage(
    tmp_path: Path, kek: bytes
) -> None:
    store = EncryptedFileStore(tmp_path, kek, segment_size=SEGMENT, verify_before_release=False)
    info, content = put_clip(store)
    data = files_of(store, info)[1]
    raw = bytearray(data.read_bytes())
    raw[HEADER_SIZE + 2 * (SEGMENT + TAG_SIZE) + 5] ^= 0x80  # inside the third segment
    data.write_bytes(bytes(raw))
    released: list[bytes] = []
    with pytest.raises(MediaCorrupted, match="segment 3 of"):
        released.extend(store.open(T1, info.media_id))
    assert b"".join(released) == content[: 2 * SEGMENT]


@pytest.mark.parametrize("keep", [HEADER_SIZE + 2 * (SEGMENT + TAG_SIZE), 500, HEADER_SIZE, 0])
def test_a_truncated_file_is_detected(store: EncryptedFileStore, keep: int) -> None:
    info, _ = put_clip(store)
    data = files_of(store, info)[1]
    data.write_bytes(data.read_bytes()[:keep])
    with pytest.raises(MediaCorrupted, match="length"):
        store.open(T1, info.media_id)
    with pytest.raises(MediaCorrupted):
        store.verify(T1, info.media_id)


def test_appended_bytes_are_detected(store: EncryptedFileStore) -> None:
    info, _ = put_clip(store)
    data = files_of(store, info)[1]
    data.write_bytes(data.read_bytes() + b"\x00" * (SEGMENT + TAG_SIZE))
    with pytest.raises(MediaCorrupted, match=info.media_id):
        store.open(T1, info.media_id)


def test_swapped_segments_are_detected(store: EncryptedFileStore) -> None:
    info, _ = put_clip(store)
    data = files_of(store, info)[1]
    raw = data.read_bytes()
    step = SEGMENT + TAG_SIZE
    first, second = (raw[HEADER_SIZE + i * step : HEADER_SIZE + (i + 1) * step] for i in (0, 1))
    data.write_bytes(raw[:HEADER_SIZE] + second + first + raw[HEADER_SIZE + 2 * step :])
    with pytest.raises(MediaCorrupted, match="segment 1 of 6"):
        store.open(T1, info.media_id)


def test_a_segment_grafted_from_another_item_is_detected(store: EncryptedFileStore) -> None:
    a, _ = put_clip(store)
    b, _ = put_clip(store)
    data_a, data_b = files_of(store, a)[1], files_of(store, b)[1]
    raw_a, raw_b = data_a.read_bytes(), data_b.read_bytes()
    at = HEADER_SIZE + SEGMENT + TAG_SIZE
    data_a.write_bytes(
        raw_a[:at] + raw_b[at : at + SEGMENT + TAG_SIZE] + raw_a[at + SEGMENT + TAG_SIZE :]
    )
    with pytest.raises(MediaCorrupted, match="segment 2 of 6"):
        store.open(T1, a.media_id)


def test_a_swapped_data_file_is_detected(store: EncryptedFileStore) -> None:
    a, _ = put_clip(store)
    b, _ = put_clip(store)
    shutil.copyfile(files_of(store, b)[1], files_of(store, a)[1])
    with pytest.raises(MediaCorrupted, match=a.media_id):
        store.open(T1, a.media_id)


def test_a_swapped_key_file_is_detected(store: EncryptedFileStore) -> None:
    a, _ = put_clip(store)
    b, _ = put_clip(store)
    shutil.copyfile(files_of(store, b)[0], files_of(store, a)[0])
    with pytest.raises(MediaCorrupted, match=f"{a.media_id}.*key"):
        store.open(T1, a.media_id)
    with pytest.raises(MediaCorrupted):
        store.info(T1, a.media_id)


def test_a_swapped_wrapped_key_is_detected(store: EncryptedFileStore) -> None:
    a, _ = put_clip(store)
    b, _ = put_clip(store)
    key_a, key_b = files_of(store, a)[0], files_of(store, b)[0]
    doc = json.loads(key_a.read_text())
    doc["wrapped_key"] = json.loads(key_b.read_text())["wrapped_key"]
    key_a.write_text(json.dumps(doc))
    with pytest.raises(MediaCorrupted, match=f"{a.media_id}.*key"):
        store.open(T1, a.media_id)


def test_an_item_moved_to_another_trust_is_detected(store: EncryptedFileStore) -> None:
    info, _ = put_clip(store)
    key, data = files_of(store, info)
    other = store.put(TrustId("trust-south"), io.BytesIO(MP4_HEAD), kind=MediaKind.VIDEO)
    target = files_of(store, other)[0].parent.parent / info.media_id[:2]
    target.mkdir(exist_ok=True)
    shutil.copyfile(key, target / key.name)
    shutil.copyfile(data, target / data.name)
    with pytest.raises(MediaCorrupted, match="key"):
        store.open(TrustId("trust-south"), info.media_id)


def test_a_missing_data_file_is_detected(store: EncryptedFileStore) -> None:
    info, _ = put_clip(store)
    files_of(store, info)[1].unlink()
    with pytest.raises(MediaCorrupted, match="missing"):
        store.open(T1, info.media_id)


def test_a_wrong_key_encryption_key_is_a_configuration_error(
    store: EncryptedFileStore, tmp_path: Path
) -> None:
    info, _ = put_clip(store)
    stranger = EncryptedFileStore(store.root, os.urandom(32), segment_size=SEGMENT)
    with pytest.raises(ConfigurationError, match="previous_keks"):
        stranger.open(T1, info.media_id)


def test_ids_that_are_not_ours_are_never_paths(store: EncryptedFileStore) -> None:
    from cpdcore.errors import NotFound

    for bad in ("../../etc/passwd", "A" * 32, "", "0" * 31):
        with pytest.raises(NotFound):
            store.info(T1, MediaId(bad))
        assert store.delete(T1, MediaId(bad)) is False
