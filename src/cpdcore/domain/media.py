"""Media items (clips, photos, documents) as cpdcore sees them: metadata only."""

from __future__ import annotations

import enum

import attrs

from cpdcore.domain.identifiers import MediaId, TrustId

__all__ = [
    "ACCEPTED_TYPES",
    "DEFAULT_SIZE_LIMITS",
    "SNIFF_BYTES",
    "MediaInfo",
    "MediaKind",
    "sniff_content_type",
]


class MediaKind(enum.Enum):
    """What a media item is for; each kind has its own accepted types and size limit."""

    VIDEO = "video"
    PHOTO = "photo"
    DOCUMENT = "document"


DEFAULT_SIZE_LIMITS: dict[MediaKind, int] = {
    MediaKind.VIDEO: 2 * 1024**3,
    MediaKind.PHOTO: 25 * 1024**2,
    MediaKind.DOCUMENT: 25 * 1024**2,
}
"""Hard size limits in bytes per kind: clips 2 GiB, photos and documents 25 MiB."""


@attrs.frozen
class MediaInfo:
    """Metadata of a stored media item; the bytes themselves stay in the media store."""

    media_id: MediaId
    trust_id: TrustId
    kind: MediaKind
    content_type: str
    size: int


ACCEPTED_TYPES: dict[MediaKind, frozenset[str]] = {
    MediaKind.VIDEO: frozenset({"video/mp4", "video/quicktime", "video/webm"}),
    MediaKind.PHOTO: frozenset({"image/jpeg", "image/png", "image/heic"}),
    MediaKind.DOCUMENT: frozenset({"application/pdf"}),
}
"""Content types accepted per kind, decided from the first bytes, never the file name."""

SNIFF_BYTES = 64
"""How many leading bytes :func:`sniff_content_type` needs."""

_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})


def sniff_content_type(head: bytes) -> str | None:
    """Identify an accepted media type from its leading bytes (magic numbers).

    Returns ``None`` when the bytes are not one of the types in :data:`ACCEPTED_TYPES`.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head[:SNIFF_BYTES] else None
    box = head[4:8]
    if box == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in _HEIF_BRANDS:
            return "image/heic"
        return "video/mp4"
    if box in _QUICKTIME_ATOMS:
        return "video/quicktime"
    return None
