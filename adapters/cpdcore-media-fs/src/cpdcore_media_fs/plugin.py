"""The pluggy plugin module of cpdcore-media-fs (entry point group ``cpdcore``).

* ``cpdcore_schemes``: media over ``file``;
* ``cpdcore_media_store``: an :class:`~cpdcore_media_fs.store.EncryptedFileStore` for
  ``file://`` URLs, keyed by the ``cpdcore_key_provider`` plugins or ``CPD_MEDIA_KEK``;
* ``cpdcore_cli``: ``cpd media rotate-keys`` and ``cpd media sweep``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cpdcore.hookspecs import hookimpl

__all__ = ["cpdcore_cli", "cpdcore_media_store", "cpdcore_schemes"]


def _is_file_url(url: str) -> bool:
    return url.startswith("file:")


@hookimpl
def cpdcore_schemes() -> Mapping[str, Sequence[str]]:
    """This plugin serves media for ``file://`` URLs."""
    return {"media": ["file"]}


@hookimpl
def cpdcore_media_store(url: str, keys: Callable[[str], bytes | None]) -> Any:
    """An encrypted file store for a ``file://`` URL, else ``None``.

    The key-encryption key comes from ``keys(url)`` (the key-provider plugins), else from
    ``CPD_MEDIA_KEK``; ``CPD_MEDIA_PREVIOUS_KEKS`` adds keys accepted for reading.
    """
    if not _is_file_url(url):
        return None
    from cpdcore_media_fs.keys import resolve_keks
    from cpdcore_media_fs.store import EncryptedFileStore

    current, previous = resolve_keks(url, keys)
    return EncryptedFileStore.from_url(url, current, previous_keks=previous)


@hookimpl
def cpdcore_cli(app: Any) -> None:
    """Add the ``cpd media`` commands."""
    from cpdcore_media_fs.commands import media_app

    app.add_typer(media_app(), name="media")
