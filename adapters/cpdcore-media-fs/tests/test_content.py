"""Types are read from content; location metadata is stripped from JPEG and PNG photos."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from cpdcore_media_fs import EncryptedFileStore
from cpdcore_media_fs.detection import detect_content_type
from cpdcore_media_fs.location import strip_jpeg_location, strip_png_location
from hypothesis import given
from hypothesis import strategies as st

from cpdcore.domain.identifiers import TrustId
from cpdcore.domain.media import MediaKind, sniff_content_type
from cpdcore.errors import ValidationError

T1 = TrustId("trust-north")


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = b"ftyp" + major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return struct.pack(">I", len(body) + 4) + body + b"\x00\x00\x00\x08free" + b"\x00" * 32


def ebml(doctype: bytes) -> bytes:
    element = b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    header = b"\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08" + element
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(header)]) + header + b"\x00" * 32


OLD_QUICKTIME = b"\x00\x00\x00\x08wide\x00\x00\x10\x00mdat" + b"\x00" * 40

SAMPLES = {
    "jpeg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40, "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"\x00" * 40, "application/pdf"),
    "mp4 isom": (ftyp(b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
    "mp4 mp42": (ftyp(b"mp42", b"isom"), "video/mp4"),
    "mp4 avc1": (ftyp(b"avc1"), "video/mp4"),
    "mp4 iso5 (dash)": (ftyp(b"iso5", b"dash"), "video/mp4"),
    "mov qt": (ftyp(b"qt  ", b"qt  "), "video/quicktime"),
    "mov without ftyp": (
        b"\x00\x00\x00\x08wide\x00\x00\x10\x00mdat" + b"\x00" * 40,
        "video/quicktime",
    ),
    "heic": (ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
    "heic via mif1": (ftyp(b"mif1", b"mif1", b"heic"), "image/heic"),
    "webm": (ebml(b"webm"), "video/webm"),
    "matroska": (ebml(b"matroska"), None),
    "avif": (ftyp(b"avif", b"mif1", b"avif"), None),
    "3gp": (ftyp(b"3gp4", b"3gp4"), None),
    "gif": (b"GIF89a" + b"\x00" * 40, None),
    "zip": (b"PK\x03\x04" + b"\x00" * 40, None),
    "text": (b"plain text, not a photo", None),
    "empty": (b"", None),
}


@pytest.mark.parametrize(("head", "expected"), SAMPLES.values(), ids=SAMPLES.keys())
def test_content_type_is_read_from_the_first_bytes(head: bytes, expected: str | None) -> None:
    assert detect_content_type(head) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [v for k, v in SAMPLES.items() if v[1] and "avc1" not in k and "iso5" not in k],
    ids=[k for k, v in SAMPLES.items() if v[1] and "avc1" not in k and "iso5" not in k],
)
def test_detection_agrees_with_the_core_sniffer_on_accepted_types(
    head: bytes, expected: str
) -> None:
    assert sniff_content_type(head[:64]) == detect_content_type(head) == expected


@pytest.mark.parametrize(
    ("kind", "head"),
    [
        (MediaKind.VIDEO, SAMPLES["heic"][0]),
        (MediaKind.PHOTO, SAMPLES["webm"][0]),
        (MediaKind.DOCUMENT, SAMPLES["jpeg"][0]),
        (MediaKind.VIDEO, SAMPLES["matroska"][0]),
    ],
)
def test_a_type_of_another_kind_is_rejected_whatever_the_name(
    store: EncryptedFileStore, kind: MediaKind, head: bytes
) -> None:
    with pytest.raises(ValidationError, match=f"not an accepted {kind.value} type"):
        store.put(T1, io.BytesIO(head), kind=kind, filename=f"lesson.{kind.value}")
    assert list(store.list(T1)) == []


# --- JPEG ---------------------------------------------------------------------------

LATITUDE = struct.pack("<6I", 51, 1, 30, 1, 2647, 100)
LONGITUDE = struct.pack("<6I", 0, 1, 7, 1, 3921, 100)


def tiff_with_gps(order: str) -> bytes:
    """IFD0 (orientation 6, GPS pointer) and a GPS IFD with latitude and longitude."""
    e = "<" if order == "II" else ">"
    lat = struct.pack(e + "6I", *struct.unpack("<6I", LATITUDE))
    lon = struct.pack(e + "6I", *struct.unpack("<6I", LONGITUDE))
    gps_at, lat_at = 8 + 30, 8 + 30 + 54
    ifd0 = struct.pack(e + "H", 2)
    ifd0 += struct.pack(e + "HHIHH", 0x0112, 3, 1, 6, 0)
    ifd0 += struct.pack(e + "HHII", 0x8825, 4, 1, gps_at) + struct.pack(e + "I", 0)
    gps = struct.pack(e + "H", 4)
    gps += struct.pack(e + "HHI", 0x0001, 2, 2) + b"N\x00\x00\x00"
    gps += struct.pack(e + "HHII", 0x0002, 5, 3, lat_at)
    gps += struct.pack(e + "HHI", 0x0003, 2, 2) + b"W\x00\x00\x00"
    gps += struct.pack(e + "HHII", 0x0004, 5, 3, lat_at + 24) + struct.pack(e + "I", 0)
    return order.encode() + struct.pack(e + "HI", 42, 8) + ifd0 + gps + lat + lon


def segment(code: int, payload: bytes) -> bytes:
    return bytes([0xFF, code]) + struct.pack(">H", len(payload) + 2) + payload


XMP = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta exif:GPSLatitude='51,30.44N'/>"
SCAN = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + os.urandom(3000) + b"\xff\xd9"


def jpeg(order: str = "II") -> bytes:
    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xE1, b"Exif\x00\x00" + tiff_with_gps(order))
        + segment(0xE1, XMP)
        + segment(0xDB, b"\x00" + bytes(range(64)))
        + SCAN
    )


def orientation(stripped: bytes, order: str) -> int:
    tiff = stripped[stripped.index(b"Exif\x00\x00") + 6 :]
    e = "<" if order == "II" else ">"
    assert struct.unpack_from(e + "HH", tiff, 10) == (0x0112, 3)
    return int(struct.unpack_from(e + "H", tiff, 18)[0])


@pytest.mark.parametrize("order", ["II", "MM"])
def test_jpeg_gps_and_xmp_are_removed_and_the_rest_kept(
    store: EncryptedFileStore, order: str
) -> None:
    original = jpeg(order)
    info = store.put(T1, io.BytesIO(original), kind=MediaKind.PHOTO)
    stored = b"".join(store.open(T1, info.media_id))
    e = "<" if order == "II" else ">"
    lat = struct.pack(e + "6I", *struct.unpack("<6I", LATITUDE))
    assert lat not in stored
    assert b"N\x00\x00\x00" not in stored
    assert b"GPSLatitude" not in stored
    assert orientation(stored, order) == 6  # photos still display the right way up
    assert stored.endswith(SCAN)
    assert b"JFIF\x00" in stored
    assert bytes(range(64)) in stored
    assert info.size == len(stored) == len(original) - len(XMP) - 4


@given(cuts=st.lists(st.integers(1, 400), min_size=1, max_size=40))
def test_jpeg_stripping_does_not_depend_on_how_the_upload_is_chunked(cuts: list[int]) -> None:
    data = jpeg()
    pieces, at = [], 0
    for size in cuts:
        pieces.append(data[at : at + size])
        at += size
    pieces.append(data[at:])
    assert b"".join(strip_jpeg_location(pieces)) == b"".join(strip_jpeg_location([data]))


def test_an_unparseable_exif_block_is_dropped_whole() -> None:
    broken = segment(0xE1, b"Exif\x00\x00II*\x00\xff\xff\xff\x7f" + b"\x00" * 20)
    data = b"\xff\xd8" + broken + SCAN
    assert b"".join(strip_jpeg_location([data])) == b"\xff\xd8" + SCAN


def test_a_malformed_jpeg_header_is_kept_from_the_damage_on() -> None:
    data = b"\xff\xd8\xff\xe0\x00\x00" + b"\x00" * 60
    assert b"".join(strip_jpeg_location([data])) == data


# --- PNG ----------------------------------------------------------------------------


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png() -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"eXIf", tiff_with_gps("MM"))
        + chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP[29:])
        + chunk(b"tEXt", b"Title\x00Year 9 hinge questions")
        + chunk(b"IDAT", os.urandom(5000))
        + chunk(b"IEND", b"")
    )


def chunk_types(data: bytes) -> list[bytes]:
    types, at = [], 8
    while at < len(data):
        length = struct.unpack_from(">I", data, at)[0]
        types.append(data[at + 4 : at + 8])
        at += 12 + length
    return types


def test_png_exif_and_xmp_chunks_are_removed_and_the_rest_kept(
    store: EncryptedFileStore,
) -> None:
    original = png()
    info = store.put(T1, io.BytesIO(original), kind=MediaKind.PHOTO)
    stored = b"".join(store.open(T1, info.media_id))
    assert chunk_types(stored) == [b"IHDR", b"tEXt", b"IDAT", b"IEND"]
    assert b"Year 9 hinge questions" in stored
    assert original.endswith(stored[stored.index(b"IDAT") - 4 :])


@given(cuts=st.lists(st.integers(1, 300), min_size=1, max_size=40))
def test_png_stripping_does_not_depend_on_chunking(cuts: list[int]) -> None:
    data = png()
    pieces, at = [], 0
    for size in cuts:
        pieces.append(data[at : at + size])
        at += size
    pieces.append(data[at:])
    assert b"".join(strip_png_location(pieces)) == b"".join(strip_png_location([data]))


def test_heic_is_stored_unchanged(store: EncryptedFileStore) -> None:
    # documented: HEIC metadata cannot be rewritten while streaming
    heic = SAMPLES["heic"][0] + b"Exif\x00\x00" + tiff_with_gps("MM")
    info = store.put(T1, io.BytesIO(heic), kind=MediaKind.PHOTO)
    assert b"".join(store.open(T1, info.media_id)) == heic
