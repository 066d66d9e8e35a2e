"""Deciding what an upload is from its first bytes (magic numbers), never its file name.

`puremagic <https://pypi.org/project/puremagic/>`_ (pure Python, no system libmagic)
identifies JPEG, PNG, PDF and older QuickTime files. Its tables are incomplete for the two
container families cpdcore accepts, so those are decided from their structure here:

* ISO base media files (``ftyp`` box: MP4, MOV, HEIC) by the major and compatible brands:
  puremagic does not know common MP4 brands such as ``avc1``, ``mp41`` or ``iso5`` and
  reports ``heic`` files as ``image/heif``;
* EBML files (Matroska, WebM) by the ``DocType`` element: puremagic offers ``video/webm``
  as a candidate for every Matroska file.
"""

from __future__ import annotations

import puremagic

from cpdcore.domain.media import ACCEPTED_TYPES

__all__ = ["ACCEPTED", "HEAD_BYTES", "detect_content_type"]

HEAD_BYTES = 4096
"""How many leading bytes :func:`detect_content_type` looks at."""

ACCEPTED: frozenset[str] = frozenset().union(*ACCEPTED_TYPES.values())
"""Every content type any media kind accepts."""

_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_HEIF_GENERIC = frozenset({b"mif1", b"msf1"})
_MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9"}
    | {b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4", b"MSNV"}
)
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_DOCTYPE_ID = b"\x42\x82"

# puremagic's names for the accepted types where they differ from cpdcore's
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "video/mov": "video/quicktime"}


def _iso_bmff(head: bytes) -> str | None:
    box_size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    end = min(len(head), box_size) if box_size >= 16 else 16
    compatible = {head[i : i + 4] for i in range(16, end - 3, 4)}
    if major in _HEIC_BRANDS or (major in _HEIF_GENERIC and compatible & _HEIC_BRANDS):
        return "image/heic"
    if major == b"qt  ":
        return "video/quicktime"
    if major in _MP4_BRANDS:
        return "video/mp4"
    return None


def _ebml(head: bytes) -> str | None:
    # DocType is a short string element inside the EBML header at the start of the file.
    at = head.find(_DOCTYPE_ID, 4, 64)
    if at < 0 or at + 3 > len(head):
        return None
    length_byte = head[at + 2]
    if not length_byte & 0x80:  # only one-byte sizes occur for a DocType
        return None
    doctype = head[at + 3 : at + 3 + (length_byte & 0x7F)]
    return "video/webm" if doctype == b"webm" else None


def detect_content_type(head: bytes) -> str | None:
    """The accepted content type the leading bytes show, or ``None``.

    Returns one of the types in :data:`cpdcore.domain.media.ACCEPTED_TYPES`; anything else
    (including Matroska that is not WebM, AVIF, 3GP and text) is ``None``.
    """
    if head[4:8] == b"ftyp":
        return _iso_bmff(head)
    if head.startswith(_EBML_MAGIC):
        return _ebml(head)
    if not head:
        return None
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    for match in matches:
        mime = _ALIASES.get(match.mime_type, match.mime_type)
        if mime in ACCEPTED:
            return str(mime)
    return None
