"""Removing location metadata from photos as they stream in (constant memory).

* **JPEG**: in the Exif block (APP1 ``Exif``) every GPS IFD is emptied in place: its entries
  and their values are zeroed and its entry count set to 0, so orientation, camera and
  timestamp tags survive and no offsets move. An Exif block that cannot be parsed is dropped
  whole. XMP blocks (APP1 ``http://ns.adobe.com/xap/1.0/`` and extended XMP), which may
  repeat the location as text, are dropped. Segments after the start of scan (the image
  data) pass through unchanged. A JPEG whose header segments are malformed is stored
  unchanged from the first malformed byte on.
* **PNG**: the ``eXIf`` chunk and text chunks holding XMP or raw Exif profiles
  (``XML:com.adobe.xmp``, ``Raw profile type exif``, ``Raw profile type APP1``) are dropped;
  every other chunk passes through unchanged.
* **HEIC** and videos are stored unchanged: their metadata lives in boxes addressed by
  absolute offsets, which cannot be rewritten while streaming. A host that must not keep
  the location of HEIC photos converts them (or strips them) before upload.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator

__all__ = ["strip_jpeg_location", "strip_location", "strip_png_location"]

_GPS_IFD_TAG = 0x8825
_TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
_XMP_PREFIXES = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_TEXT_CHUNKS = frozenset({b"tEXt", b"zTXt", b"iTXt"})
_PNG_LOCATION_KEYWORDS = frozenset(
    {b"XML:com.adobe.xmp", b"Raw profile type exif", b"Raw profile type APP1"}
)
_PASS_CHUNK = 64 * 1024


class _Feed:
    """Exact-size reads over an iterator of chunks, holding at most one chunk of slack."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes; fewer only at the end of the stream."""
        while len(self._buffer) < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        return out

    def copy(self, n: int) -> Iterator[bytes]:
        """Pass ``n`` bytes (or what is left) through in pieces."""
        while n > 0:
            piece = self.read(min(n, _PASS_CHUNK))
            if not piece:
                return
            n -= len(piece)
            yield piece

    def rest(self) -> Iterator[bytes]:
        """Everything left, unchanged."""
        if self._buffer:
            yield bytes(self._buffer)
            self._buffer.clear()
        yield from self._chunks


def _blank_gps_ifds(tiff: bytearray) -> bool:
    """Empty every GPS IFD reachable from IFD0/IFD1 in place; ``False`` if unparseable."""
    order = {b"II": "<", b"MM": ">"}.get(bytes(tiff[:2]))
    if order is None or len(tiff) < 8:
        return False
    u16, u32 = order + "H", order + "I"
    if struct.unpack_from(u16, tiff, 2)[0] != 42:
        return False
    offset = struct.unpack_from(u32, tiff, 4)[0]
    seen: set[int] = set()
    while offset and offset not in seen:  # the chain of top-level IFDs (IFD0, thumbnail IFD1)
        seen.add(offset)
        if offset + 2 > len(tiff):
            return False
        count = struct.unpack_from(u16, tiff, offset)[0]
        end = offset + 2 + 12 * count
        if end + 4 > len(tiff):
            return False
        for entry in range(offset + 2, end, 12):
            if struct.unpack_from(u16, tiff, entry)[0] == _GPS_IFD_TAG:
                gps = struct.unpack_from(u32, tiff, entry + 8)[0]
                if not _blank_ifd(tiff, gps, u16, u32):
                    return False
        offset = struct.unpack_from(u32, tiff, end)[0]
    return True


def _blank_ifd(tiff: bytearray, offset: int, u16: str, u32: str) -> bool:
    if offset + 2 > len(tiff):
        return False
    count = struct.unpack_from(u16, tiff, offset)[0]
    end = offset + 2 + 12 * count + 4
    if end > len(tiff):
        return False
    for entry in range(offset + 2, end - 4, 12):
        kind, n = struct.unpack_from(u16[0] + "HI", tiff, entry + 2)
        size = _TIFF_TYPE_SIZES.get(kind, 1) * n
        if size > 4:  # the value lives elsewhere in the block: zero it too
            at = struct.unpack_from(u32, tiff, entry + 8)[0]
            if at + size > len(tiff):
                return False
            tiff[at : at + size] = bytes(size)
    # count 0, no entries, no next IFD: an empty, valid IFD
    tiff[offset:end] = bytes(end - offset)
    return True


def _exif_without_gps(payload: bytes) -> bytes | None:
    """The Exif APP1 payload with its GPS IFDs emptied, or ``None`` to drop it."""
    tiff = bytearray(payload[6:])
    if not _blank_gps_ifds(tiff):
        return None
    return payload[:6] + bytes(tiff)


def strip_jpeg_location(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A JPEG stream without GPS tags or XMP blocks (see the module docstring)."""
    feed = _Feed(chunks)
    soi = feed.read(2)
    yield soi
    if soi != b"\xff\xd8":
        yield from feed.rest()
        return
    while True:
        marker = feed.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            yield marker
            break
        code = marker[1]
        if code in (0xDA, 0xD9):  # start of scan or end of image: image data follows
            yield marker
            break
        if code == 0x01 or 0xD0 <= code <= 0xD7 or code == 0xFF:
            yield marker  # standalone markers and fill bytes carry no length
            continue
        length_bytes = feed.read(2)
        length = int.from_bytes(length_bytes, "big") if len(length_bytes) == 2 else 0
        if length < 2:
            yield marker + length_bytes
            break
        payload = feed.read(length - 2)
        if len(payload) < length - 2:
            yield marker + length_bytes + payload
            break
        if code == 0xE1 and payload.startswith(b"Exif\x00\x00"):
            cleaned = _exif_without_gps(payload)
            if cleaned is not None:
                yield marker + length_bytes + cleaned
            continue
        if code == 0xE1 and payload.startswith(_XMP_PREFIXES):
            continue
        yield marker + length_bytes + payload
    yield from feed.rest()


def strip_png_location(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A PNG stream without ``eXIf`` or XMP/Exif text chunks (see the module docstring)."""
    feed = _Feed(chunks)
    signature = feed.read(len(_PNG_SIGNATURE))
    yield signature
    if signature != _PNG_SIGNATURE:
        yield from feed.rest()
        return
    while True:
        head = feed.read(8)
        if len(head) < 8:
            yield head
            return
        length = int.from_bytes(head[:4], "big")
        kind = head[4:8]
        body = length + 4  # data and CRC
        if kind == b"eXIf":
            _drain(feed.copy(body))
            continue
        if kind in _PNG_TEXT_CHUNKS:
            start = feed.read(min(body, 80))
            if start.split(b"\x00", 1)[0] in _PNG_LOCATION_KEYWORDS:
                _drain(feed.copy(body - len(start)))
                continue
            yield head + start
            yield from feed.copy(body - len(start))
            continue
        yield head
        yield from feed.copy(body)
        if kind == b"IEND":
            yield from feed.rest()
            return


def _drain(pieces: Iterator[bytes]) -> None:
    for _ in pieces:
        pass


def strip_location(content_type: str, chunks: Iterable[bytes]) -> Iterable[bytes]:
    """Strip location metadata where the format allows it while streaming."""
    if content_type == "image/jpeg":
        return strip_jpeg_location(chunks)
    if content_type == "image/png":
        return strip_png_location(chunks)
    return chunks
