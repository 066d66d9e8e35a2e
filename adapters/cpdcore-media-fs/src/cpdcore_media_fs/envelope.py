"""The encrypted item format: wrapped data keys, sealed metadata and authenticated segments.

Everything here is pure computation over bytes (no files, no clock), so the format can be
tested on its own. The key hierarchy is:

* the **key-encryption key** (KEK, 32 bytes) comes from the host and never touches the disk;
* every item has its own random 256-bit **data key**, stored only *wrapped* (AES-256-GCM
  under the KEK, bound to the item's trust directory and id);
* the data key seals the item's **metadata** (trust, kind, content type, size, SHA-256 of the
  plaintext) and its **segments** (AES-256-GCM, fixed-size plaintext segments).

Segment ``i`` is encrypted with nonce ``"S" || final || 00 00 || i`` (12 bytes) and the
associated data ``header || binding || i || final``. A data key is used for exactly one item
and each nonce once, so deterministic nonces are safe; moving, dropping, repeating or
reordering segments, cutting the file at a segment boundary or grafting segments of another
item all fail authentication.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
from collections.abc import Callable, Iterable, Iterator

import attrs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cpdcore.errors import CpdError

__all__ = [
    "DEFAULT_SEGMENT_SIZE",
    "HEADER_SIZE",
    "KEY_SIZE",
    "MAGIC",
    "TAG_SIZE",
    "ItemBinding",
    "ItemMeta",
    "MediaCorrupted",
    "SegmentSealer",
    "kek_id",
    "new_data_key",
    "open_meta",
    "open_segments",
    "seal_meta",
    "segment_count",
    "sealed_length",
    "unwrap_data_key",
    "wrap_data_key",
]

MAGIC = b"CPDMFS01"
"""First bytes of every data file: format name and version."""

KEY_SIZE = 32
"""AES-256: data keys and the key-encryption key are 32 bytes."""

TAG_SIZE = 16
"""AES-GCM authentication tag appended to every sealed segment."""

HEADER_SIZE = len(MAGIC) + 4
"""Data-file header: :data:`MAGIC` then the plaintext segment size (u32, big-endian)."""

DEFAULT_SEGMENT_SIZE = 1024 * 1024
"""Plaintext bytes per segment (1 MiB): memory use per stream stays near this size."""

_NONCE_SIZE = 12
_WRAP_AAD = b"cpdcore-media-fs/wrap/v1\x00"
_META_AAD = b"cpdcore-media-fs/meta/v1\x00"
_META_NONCE = b"M" + bytes(11)
_KEK_ID_LABEL = b"cpdcore-media-fs/kek-id/v1"


class MediaCorrupted(CpdError):
    """A stored media item failed an integrity check: altered, truncated, or not its own.

    ``media_id`` and ``trust_id`` name the item; ``where`` says which part failed
    (``key``, ``metadata``, ``segment 3 of 7``, ``length``, ``sha256``).
    """

    def __init__(self, media_id: str, trust_id: str, where: str, detail: str) -> None:
        self.media_id = media_id
        self.trust_id = trust_id
        self.where = where
        super().__init__(
            f"media item {media_id!r} of trust {trust_id!r} failed its integrity check "
            f"({where}): {detail}; nothing of it was returned. The stored files were altered, "
            "truncated or swapped with another item's: restore the item from a backup or "
            "delete it"
        )


@attrs.frozen
class ItemBinding:
    """What a wrapped key and a sealed item are bound to: the trust directory and the id.

    ``trust_key`` is the name of the trust's directory (a hash of the trust id), so an
    operator tool can re-wrap keys without knowing trust ids; ``trust_id`` is only used in
    error messages and may be ``""`` when unknown.
    """

    trust_key: str
    media_id: str
    trust_id: str = ""

    def encoded(self) -> bytes:
        """Length-prefixed trust key and media id (unambiguous concatenation)."""
        parts = [self.trust_key.encode(), self.media_id.encode()]
        return b"".join(struct.pack(">H", len(p)) + p for p in parts)

    def corrupted(self, where: str, detail: str) -> MediaCorrupted:
        """The error naming this item."""
        return MediaCorrupted(self.media_id, self.trust_id or self.trust_key, where, detail)


@attrs.frozen
class ItemMeta:
    """Metadata sealed under the data key; the SHA-256 is of the stored plaintext."""

    trust_id: str
    media_id: str
    kind: str
    content_type: str
    size: int
    sha256: str
    segment_size: int
    segments: int


def new_data_key() -> bytes:
    """A fresh random 256-bit data key (one per item, never reused)."""
    return AESGCM.generate_key(bit_length=256)


def kek_id(kek: bytes) -> str:
    """A short public fingerprint of a key-encryption key (reveals nothing of the key).

    Stored beside each wrapped key so rotation knows which items still need re-wrapping.
    """
    return hmac.new(kek, _KEK_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def wrap_data_key(kek: bytes, data_key: bytes, binding: ItemBinding) -> bytes:
    """Encrypt ``data_key`` under ``kek`` (AES-256-GCM, random nonce), bound to the item."""
    nonce = os.urandom(_NONCE_SIZE)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, _WRAP_AAD + binding.encoded())


def unwrap_data_key(kek: bytes, wrapped: bytes, binding: ItemBinding) -> bytes:
    """Recover the data key; raise :class:`MediaCorrupted` when it is not this item's."""
    try:
        key = AESGCM(kek).decrypt(
            wrapped[:_NONCE_SIZE], wrapped[_NONCE_SIZE:], _WRAP_AAD + binding.encoded()
        )
    except (InvalidTag, ValueError):
        raise binding.corrupted(
            "key", "the wrapped data key does not open under its key-encryption key"
        ) from None
    if len(key) != KEY_SIZE:
        raise binding.corrupted("key", f"the data key is {len(key)} bytes, not {KEY_SIZE}")
    return key


def seal_meta(data_key: bytes, meta: ItemMeta, binding: ItemBinding) -> bytes:
    """Encrypt the item's metadata under its data key."""
    plain = json.dumps(attrs.asdict(meta), sort_keys=True).encode()
    return AESGCM(data_key).encrypt(_META_NONCE, plain, _META_AAD + binding.encoded())


def open_meta(data_key: bytes, sealed: bytes, binding: ItemBinding) -> ItemMeta:
    """Decrypt and check the item's metadata."""
    try:
        plain = AESGCM(data_key).decrypt(_META_NONCE, sealed, _META_AAD + binding.encoded())
    except (InvalidTag, ValueError):
        raise binding.corrupted("metadata", "the sealed metadata does not authenticate") from None
    meta = ItemMeta(**json.loads(plain))
    if meta.media_id != binding.media_id:
        raise binding.corrupted("metadata", f"it belongs to item {meta.media_id!r}")
    if meta.segments != segment_count(meta.size, meta.segment_size):
        raise binding.corrupted("metadata", "segment count and size disagree")
    return meta


def segment_count(size: int, segment_size: int) -> int:
    """Segments an item of ``size`` plaintext bytes has (an empty item has one)."""
    return max(1, -(-size // segment_size))


def sealed_length(size: int, segment_size: int) -> int:
    """Exact length of the data file of an item of ``size`` plaintext bytes."""
    return HEADER_SIZE + size + TAG_SIZE * segment_count(size, segment_size)


def _header(segment_size: int) -> bytes:
    return MAGIC + struct.pack(">I", segment_size)


def _nonce(index: int, final: bool) -> bytes:
    return b"S" + (b"\x01" if final else b"\x00") + b"\x00\x00" + struct.pack(">Q", index)


def _aad(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + struct.pack(">QB", index, 1 if final else 0)


class SegmentSealer:
    """Encrypt a stream of plaintext chunks into the data-file format, in constant memory.

    Iterate over :meth:`seal`; afterwards :attr:`size`, :attr:`segments` and
    :meth:`sha256` describe what was sealed.
    """

    def __init__(self, data_key: bytes, binding: ItemBinding, segment_size: int) -> None:
        if not 1 <= segment_size < 2**32:
            raise ValueError(f"segment_size must be between 1 and 2**32 - 1, not {segment_size}")
        self._aead = AESGCM(data_key)
        self._segment_size = segment_size
        self._header = _header(segment_size)
        self._prefix = self._header + binding.encoded()
        self._hash = hashlib.sha256()
        self.size = 0
        self.segments = 0

    def _seal(self, plain: bytes | memoryview, final: bool) -> bytes:
        index = self.segments
        self.segments += 1
        self._hash.update(plain)
        self.size += len(plain)
        return self._aead.encrypt(_nonce(index, final), plain, _aad(self._prefix, index, final))

    def seal(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Yield the header, then one sealed segment per ``segment_size`` plaintext bytes.

        The last segment (possibly empty) carries the final flag; a segment is only emitted
        once more data is known to follow it, so the final one is always marked.
        """
        yield self._header
        size = self._segment_size
        pending = bytearray()
        for chunk in chunks:
            pending += chunk
            # strictly greater: a full segment at the very end must be the final one
            while len(pending) > size:
                with memoryview(pending) as view:
                    sealed = self._seal(view[:size], final=False)
                del pending[:size]
                yield sealed
        yield self._seal(bytes(pending), final=True)

    def sha256(self) -> str:
        """Hex SHA-256 of every plaintext byte sealed so far."""
        return self._hash.hexdigest()


def open_segments(
    read: Callable[[int], bytes],
    data_key: bytes,
    binding: ItemBinding,
    meta: ItemMeta,
) -> Iterator[bytes]:
    """Decrypt a data file read through ``read(n)``, yielding each segment once verified.

    Every segment is authenticated before it is yielded; a missing, extra, reordered or
    foreign segment raises :class:`MediaCorrupted`. The whole-item SHA-256 can only be
    compared after the last segment, so a consumer that streams must treat an exception at
    the end as a failed read (the store's default mode verifies a first pass before
    releasing anything; see :class:`~cpdcore_media_fs.store.EncryptedFileStore`).
    """
    header = _header(meta.segment_size)
    if read(HEADER_SIZE) != header:
        raise binding.corrupted("header", "the data file does not start with this item's header")
    aead = AESGCM(data_key)
    prefix = header + binding.encoded()
    digest = hashlib.sha256()
    last = meta.segments - 1
    tail = meta.size - meta.segment_size * last
    for index in range(meta.segments):
        final = index == last
        want = (tail if final else meta.segment_size) + TAG_SIZE
        sealed = read(want)
        where = f"segment {index + 1} of {meta.segments}"
        if len(sealed) != want:
            raise binding.corrupted(where, "the data file ends early (truncated)")
        try:
            plain = aead.decrypt(_nonce(index, final), sealed, _aad(prefix, index, final))
        except InvalidTag:
            raise binding.corrupted(where, "the segment does not authenticate") from None
        digest.update(plain)
        yield plain
    if read(1):
        raise binding.corrupted("length", "the data file has bytes after its final segment")
    if not hmac.compare_digest(digest.hexdigest(), meta.sha256):
        raise binding.corrupted("sha256", "the plaintext does not match its recorded SHA-256")
