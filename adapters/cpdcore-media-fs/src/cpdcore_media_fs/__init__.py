"""Encrypted file-system media store for cpdcore (AES-256-GCM, crypto-shredding, streaming).

Hosts usually get the store through ``Cpd.open(..., media="file:///srv/cpd-media")``; build
one directly with :class:`EncryptedFileStore`.
"""

from cpdcore_media_fs.envelope import MediaCorrupted
from cpdcore_media_fs.store import EncryptedFileStore, RotationFailure, RotationReport

__all__ = ["EncryptedFileStore", "MediaCorrupted", "RotationFailure", "RotationReport"]
