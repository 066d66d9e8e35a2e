"""The encrypted file-system media store (``file://`` URLs).

Layout under the store's root directory::

    items/<trust key>/<id[:2]>/<id>.key    wrapped data key + sealed metadata (JSON)
    items/<trust key>/<id[:2]>/<id>.data   header + AES-256-GCM segments
    tmp/                                   files being written (renamed into items/)
    lock                                   serialises deletes and key rotation

``<trust key>`` is a SHA-256 of the trust id, so directory names carry no school names.
An item exists when its ``.key`` file exists: puts write the data file, then the key file,
each to ``tmp/`` with ``fsync`` and then ``os.replace``; deletes destroy the key file first.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import unquote, urlsplit

import attrs

from cpdcore.domain.identifiers import MediaId, TrustId
from cpdcore.domain.media import ACCEPTED_TYPES, DEFAULT_SIZE_LIMITS, MediaInfo, MediaKind
from cpdcore.errors import ConfigurationError, CpdError, NotFound, ValidationError
from cpdcore_media_fs.detection import HEAD_BYTES, detect_content_type
from cpdcore_media_fs.envelope import (
    DEFAULT_SEGMENT_SIZE,
    ItemBinding,
    ItemMeta,
    SegmentSealer,
    kek_id,
    new_data_key,
    open_meta,
    open_segments,
    seal_meta,
    sealed_length,
    unwrap_data_key,
    wrap_data_key,
)
from cpdcore_media_fs.keys import PREVIOUS_KEKS_ENV, check_kek
from cpdcore_media_fs.location import strip_location

__all__ = ["EncryptedFileStore", "RotationFailure", "RotationReport", "trust_key"]

_MEDIA_ID = re.compile(r"[0-9a-f]{32}")
_KEY_FORMAT = "cpdcore-media-fs/key/v1"
_READ_SIZE = 1024 * 1024


def trust_key(trust_id: str) -> str:
    """The directory name of a trust's items (a hash, so names of trusts stay off disk)."""
    return hashlib.sha256(b"cpdcore-media-fs/trust\x00" + trust_id.encode()).hexdigest()[:32]


@attrs.frozen
class RotationFailure:
    """An item whose data key could not be re-wrapped, and why."""

    media_id: str
    trust_key: str
    reason: str


@attrs.frozen
class RotationReport:
    """What :meth:`EncryptedFileStore.rotate` did.

    ``rewrapped`` items moved to the current key now; ``already_current`` were wrapped under
    it before (by an earlier, interrupted run or a put after the switch); ``failures`` could
    not be unwrapped with any configured key and still need attention.
    """

    rewrapped: int
    already_current: int
    failures: tuple[RotationFailure, ...] = ()

    @property
    def complete(self) -> bool:
        """Every item is now wrapped under the current key."""
        return not self.failures


def _chunks_of(data: BinaryIO | Iterable[bytes]) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("pass a binary stream (e.g. io.BytesIO) or an iterable of chunks")
    read = getattr(data, "read", None)
    if callable(read):
        reader = cast(Callable[[int], bytes], read)
        while chunk := reader(_READ_SIZE):
            yield chunk
        return
    for chunk in data:
        if chunk:
            yield bytes(chunk)


def _within_limit(
    chunks: Iterable[bytes], limit: int, kind: MediaKind, label: str
) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise ValidationError.single(
                label,
                f"{kind.value} is larger than the limit of {limit} bytes "
                f"(read {total} bytes so far); nothing was stored",
            )
        yield chunk


def _peek(chunks: Iterator[bytes], n: int) -> tuple[bytes, Iterator[bytes]]:
    head = bytearray()
    while len(head) < n:
        chunk = next(chunks, None)
        if chunk is None:
            break
        head += chunk
    first = bytes(head)
    return first[:n], chain([first], chunks)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EncryptedFileStore:
    """A :class:`~cpdcore.ports.MediaStore` keeping every item encrypted on disk.

    ``kek`` is the 32-byte key-encryption key new data keys are wrapped under;
    ``previous_keks`` are still accepted for reading (during a rotation). With
    ``verify_before_release`` (the default) :meth:`open` authenticates the whole item and
    checks its SHA-256 before returning an iterator, so a corrupted item yields no bytes at
    all, at the cost of decrypting twice. With ``False`` it streams in one pass: every
    chunk is still authenticated before it is yielded, but the SHA-256 is checked after the
    last chunk, and a consumer must treat an exception there as a failed read.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        kek: bytes,
        *,
        previous_keks: Sequence[bytes] = (),
        size_limits: Mapping[MediaKind, int] | None = None,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        verify_before_release: bool = True,
        url: str | None = None,
    ) -> None:
        self.root = Path(root)
        self.url = url or self.root.resolve().as_uri()
        self.size_limits = dict(DEFAULT_SIZE_LIMITS if size_limits is None else size_limits)
        self.segment_size = segment_size
        self.verify_before_release = verify_before_release
        self._kek = check_kek(kek, "kek")
        self._keks = {kek_id(k): check_kek(k, "previous_keks") for k in previous_keks}
        self._keks[kek_id(self._kek)] = self._kek
        self._items = self.root / "items"
        self._tmp = self.root / "tmp"
        for folder in (self.root, self._items, self._tmp):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    @classmethod
    def from_url(
        cls,
        url: str,
        kek: bytes,
        *,
        previous_keks: Sequence[bytes] = (),
        size_limits: Mapping[MediaKind, int] | None = None,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        verify_before_release: bool = True,
    ) -> EncryptedFileStore:
        """A store for ``file:///absolute/path`` (or ``file:relative/path``)."""
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise ConfigurationError(f"{url!r}: cpdcore-media-fs serves file:// URLs only")
        if parts.netloc not in ("", "localhost"):
            raise ConfigurationError(
                f"{url!r}: host {parts.netloc!r} is not supported; use file:///absolute/path "
                "(mount remote volumes locally)"
            )
        if parts.query or parts.fragment:
            raise ConfigurationError(
                f"{url!r}: file:// media URLs take no query or fragment; pass options in Python"
            )
        path = unquote(parts.path)
        if not path:
            raise ConfigurationError(f"{url!r}: no directory; use file:///absolute/path")
        return cls(
            path,
            kek,
            previous_keks=previous_keks,
            size_limits=size_limits,
            segment_size=segment_size,
            verify_before_release=verify_before_release,
            url=url,
        )

    # paths -----------------------------------------------------------------------------

    def _paths(self, trust_id: str, media_id: str) -> tuple[Path, Path] | None:
        if not _MEDIA_ID.fullmatch(media_id):
            return None  # not an id this store hands out (and never a path to follow)
        folder = self._items / trust_key(trust_id) / media_id[:2]
        return folder / f"{media_id}.key", folder / f"{media_id}.data"

    def _temp_path(self, media_id: str, suffix: str) -> Path:
        return self._tmp / f"{media_id}.{uuid.uuid4().hex[:8]}.{suffix}"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise deletes and re-wraps across processes (so a rotation never
        resurrects a key file a delete has just destroyed)."""
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _write_atomically(self, final: Path, content: bytes, media_id: str) -> None:
        temp = self._temp_path(media_id, "key")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_dir(final.parent)

    # key files -------------------------------------------------------------------------

    def _read_key_doc(self, path: Path, binding: ItemBinding) -> dict[str, str]:
        raw = path.read_bytes()
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict) or doc.get("format") != _KEY_FORMAT:
                raise ValueError("unknown format")
            for field in ("kek_id", "wrapped_key", "meta"):
                if not isinstance(doc.get(field), str):
                    raise ValueError(f"missing {field}")
        except ValueError as exc:
            raise binding.corrupted("key", f"the key file is not readable ({exc})") from None
        return cast(dict[str, str], doc)

    def _unwrap(self, doc: Mapping[str, str], binding: ItemBinding) -> bytes:
        kek = self._keks.get(doc["kek_id"])
        if kek is None:
            known = ", ".join(sorted(self._keks))
            raise ConfigurationError(
                f"media item {binding.media_id!r} is wrapped under key-encryption key "
                f"{doc['kek_id']} but this store only has {known}; if a key rotation is under "
                f"way, give the old key as previous_keks (or {PREVIOUS_KEKS_ENV})"
            )
        try:
            wrapped = base64.b64decode(doc["wrapped_key"], validate=True)
        except binascii.Error:
            raise binding.corrupted("key", "the wrapped key is not base64") from None
        return unwrap_data_key(kek, wrapped, binding)

    def _load(self, trust_id: TrustId, media_id: MediaId) -> tuple[ItemBinding, bytes, ItemMeta]:
        paths = self._paths(trust_id, media_id)
        binding = ItemBinding(trust_key(trust_id), media_id, trust_id)
        if paths is None:
            raise NotFound("media item", media_id, f"trust {trust_id}")
        try:
            doc = self._read_key_doc(paths[0], binding)
        except FileNotFoundError:
            raise NotFound("media item", media_id, f"trust {trust_id}") from None
        data_key = self._unwrap(doc, binding)
        try:
            sealed = base64.b64decode(doc["meta"], validate=True)
        except binascii.Error:
            raise binding.corrupted("metadata", "the sealed metadata is not base64") from None
        meta = open_meta(data_key, sealed, binding)
        if meta.trust_id != trust_id:
            raise binding.corrupted("metadata", "it belongs to another trust")
        return binding, data_key, meta

    @staticmethod
    def _info(meta: ItemMeta) -> MediaInfo:
        return MediaInfo(
            media_id=MediaId(meta.media_id),
            trust_id=TrustId(meta.trust_id),
            kind=MediaKind(meta.kind),
            content_type=meta.content_type,
            size=meta.size,
        )

    # the MediaStore port ---------------------------------------------------------------

    def put(
        self,
        trust_id: TrustId,
        data: BinaryIO | Iterable[bytes],
        *,
        kind: MediaKind,
        filename: str | None = None,
    ) -> MediaInfo:
        """Check, strip location from, encrypt and store an upload, streaming.

        The type is decided from the first bytes; the size limit is enforced on the bytes
        received, while they arrive. Any failure (a rejected type, the limit, an I/O error,
        an interrupt) removes what was written: no item becomes visible half-written.
        """
        label = filename or "upload"
        limit = self.size_limits[kind]
        incoming = _within_limit(_chunks_of(data), limit, kind, label)
        head, stream = _peek(incoming, HEAD_BYTES)
        content_type = detect_content_type(head)
        if content_type not in ACCEPTED_TYPES[kind]:
            accepted = ", ".join(sorted(ACCEPTED_TYPES[kind]))
            found = content_type or "an unrecognised type"
            raise ValidationError.single(
                label,
                f"content is {found}, not an accepted {kind.value} type ({accepted}); "
                "the type is read from the content, not the file name",
            )
        media_id = MediaId(uuid.uuid4().hex)
        key_path, data_path = cast(tuple[Path, Path], self._paths(trust_id, media_id))
        binding = ItemBinding(trust_key(trust_id), media_id, trust_id)
        data_key = new_data_key()
        sealer = SegmentSealer(data_key, binding, self.segment_size)
        temp_data = self._temp_path(media_id, "data")
        temp_key = self._temp_path(media_id, "key")
        try:
            fd = os.open(temp_data, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                for piece in sealer.seal(strip_location(content_type, stream)):
                    out.write(piece)
                out.flush()
                os.fsync(out.fileno())
            meta = ItemMeta(
                trust_id=trust_id,
                media_id=media_id,
                kind=kind.value,
                content_type=content_type,
                size=sealer.size,
                sha256=sealer.sha256(),
                segment_size=self.segment_size,
                segments=sealer.segments,
            )
            doc = {
                "format": _KEY_FORMAT,
                "kek_id": kek_id(self._kek),
                "wrapped_key": _b64(wrap_data_key(self._kek, data_key, binding)),
                "meta": _b64(seal_meta(data_key, meta, binding)),
            }
            fd = os.open(temp_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(json.dumps(doc).encode())
                out.flush()
                os.fsync(out.fileno())
            key_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # data first, key last: the key file's arrival is what makes the item exist
            os.replace(temp_data, data_path)
            os.replace(temp_key, key_path)
            _fsync_dir(key_path.parent)
        except BaseException:
            for leftover in (temp_data, temp_key):
                leftover.unlink(missing_ok=True)
            if not key_path.exists():
                data_path.unlink(missing_ok=True)
            raise
        return self._info(meta)

    def open(self, trust_id: TrustId, media_id: MediaId) -> Iterator[bytes]:
        """The item's plaintext in segments, each authenticated before it is released.

        Raises ``NotFound`` for an unknown item and
        :class:`~cpdcore_media_fs.envelope.MediaCorrupted` (a ``CpdError`` naming the item)
        for a tampered one; see the class docstring for when that can happen mid-stream.
        """
        binding, data_key, meta = self._load(trust_id, media_id)
        data_path = cast(tuple[Path, Path], self._paths(trust_id, media_id))[1]
        try:
            source = data_path.open("rb")
        except FileNotFoundError:
            raise binding.corrupted("data", "the data file is missing") from None
        try:
            expected = sealed_length(meta.size, meta.segment_size)
            actual = os.fstat(source.fileno()).st_size
            if actual != expected:
                raise binding.corrupted(
                    "length", f"the data file has {actual} bytes, {expected} were written"
                )
            if self.verify_before_release:
                for _ in open_segments(source.read, data_key, binding, meta):
                    pass
                source.seek(0)
        except BaseException:
            source.close()
            raise
        return self._stream(source, data_key, binding, meta)

    @staticmethod
    def _stream(
        source: BinaryIO, data_key: bytes, binding: ItemBinding, meta: ItemMeta
    ) -> Iterator[bytes]:
        with source:
            yield from open_segments(source.read, data_key, binding, meta)

    def verify(self, trust_id: TrustId, media_id: MediaId) -> MediaInfo:
        """Check an item end to end (key, metadata, every segment, SHA-256) without
        returning its bytes; raises like :meth:`open`."""
        binding, data_key, meta = self._load(trust_id, media_id)
        data_path = cast(tuple[Path, Path], self._paths(trust_id, media_id))[1]
        try:
            with data_path.open("rb") as source:
                for _ in open_segments(source.read, data_key, binding, meta):
                    pass
        except FileNotFoundError:
            raise binding.corrupted("data", "the data file is missing") from None
        return self._info(meta)

    def info(self, trust_id: TrustId, media_id: MediaId) -> MediaInfo:
        """Metadata of an item (decrypted from its key file; the data file is not read)."""
        return self._info(self._load(trust_id, media_id)[2])

    def delete(self, trust_id: TrustId, media_id: MediaId) -> bool:
        """Crypto-shred the item: destroy its wrapped key, then remove its ciphertext.

        The key file is overwritten with zeros, flushed and unlinked before the data file
        is touched, so even a crash in between leaves only ciphertext nobody can decrypt.
        """
        paths = self._paths(trust_id, media_id)
        if paths is None:
            return False
        key_path, data_path = paths
        with self._locked():
            existed = key_path.exists()
            if existed:
                _shred(key_path)
                _fsync_dir(key_path.parent)
            if data_path.exists():
                data_path.unlink()
                _fsync_dir(data_path.parent)
        return existed

    def list(self, trust_id: TrustId) -> Iterator[MediaInfo]:
        """Every item of the trust, ordered by id."""
        folder = self._items / trust_key(trust_id)
        names = sorted(p.stem for p in folder.glob("??/*.key"))
        return (self._info(self._load(trust_id, MediaId(name))[2]) for name in names)

    def close(self) -> None:
        """Nothing stays open between calls; present for the port."""

    # operations ------------------------------------------------------------------------

    def rotate(self, *, progress: Callable[[MediaId], None] | None = None) -> RotationReport:
        """Re-wrap every data key not yet under the current key-encryption key.

        Media are not re-encrypted: only the small key files are rewritten, one at a time,
        atomically. Safe to interrupt and run again: items already under the current key
        are counted and skipped. ``progress`` is called with each re-wrapped item's id.
        """
        current = kek_id(self._kek)
        rewrapped = already = 0
        failures: list[RotationFailure] = []
        for key_path in sorted(self._items.glob("*/??/*.key")):
            media_id = key_path.stem
            binding = ItemBinding(key_path.parent.parent.name, media_id)
            with self._locked():
                try:
                    doc = self._read_key_doc(key_path, binding)
                except FileNotFoundError:
                    continue  # deleted while we were rotating
                except CpdError as exc:
                    failures.append(RotationFailure(media_id, binding.trust_key, str(exc)))
                    continue
                if doc["kek_id"] == current:
                    already += 1
                    continue
                try:
                    data_key = self._unwrap(doc, binding)
                except CpdError as exc:
                    failures.append(RotationFailure(media_id, binding.trust_key, str(exc)))
                    continue
                new_doc = {
                    **doc,
                    "kek_id": current,
                    "wrapped_key": _b64(wrap_data_key(self._kek, data_key, binding)),
                }
                self._write_atomically(key_path, json.dumps(new_doc).encode(), media_id)
            rewrapped += 1
            if progress is not None:
                progress(MediaId(media_id))
        return RotationReport(rewrapped, already, tuple(failures))

    def sweep(self, *, older_than_seconds: float = 24 * 3600) -> int:
        """Remove leftovers of crashed writes older than the given age; return how many.

        That is files in ``tmp/`` and data files without a key file (never visible as
        items). The age guard keeps writes in progress in other processes safe.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        orphans = (p for p in self._items.glob("*/??/*.data") if not p.with_suffix(".key").exists())
        for path in chain(self._tmp.iterdir(), orphans):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _shred(path: Path) -> None:
    """Overwrite a small file with zeros, flush it, then unlink it.

    On copy-on-write file systems and SSDs the old blocks may survive the overwrite; the
    key-encryption key rotation described in the docs is what closes that gap.
    """
    with path.open("r+b") as target:
        size = os.fstat(target.fileno()).st_size
        target.write(bytes(size))
        target.flush()
        os.fsync(target.fileno())
    path.unlink()
