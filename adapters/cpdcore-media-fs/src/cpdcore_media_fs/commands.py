"""``cpd media`` commands for operators: key rotation and clean-up after crashes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from cpdcore.errors import ConfigurationError
from cpdcore_media_fs.store import EncryptedFileStore

__all__ = ["media_app", "open_media"]

MEDIA_ENV = "CPD_MEDIA"
"""Environment variable naming the media store URL (``file:///srv/cpd-media``)."""


def open_media(url: str | None) -> EncryptedFileStore:
    """The existing encrypted store at ``url`` (or ``CPD_MEDIA``), keyed through the plugins.

    Operators' commands work on a store that is there: a ``file://`` URL naming no folder is
    a ``ConfigurationError`` (opening it would create an empty store and hide a typo).
    """
    from cpdcore import Cpd

    url = url or os.environ.get(MEDIA_ENV)
    if not url:
        raise ConfigurationError(
            f"no media store given: pass --media URL or set {MEDIA_ENV} "
            "(e.g. file:///srv/cpd-media)"
        )
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.path:
        folder = Path(unquote(parts.path))
        if not folder.is_dir():
            state = "is not a folder" if folder.exists() else "does not exist"
            raise ConfigurationError(
                f"no media store at {url}: {folder} {state}; give the folder the store "
                "was created in (file:///absolute/path)"
            )
    store = Cpd.open("memory://", media=url).media
    if not isinstance(store, EncryptedFileStore):
        raise ConfigurationError(f"{url!r} is not served by cpdcore-media-fs")
    return store


def media_app() -> Any:
    """The ``cpd media`` typer application."""
    import typer

    app = typer.Typer(help="Encrypted media store (cpdcore-media-fs).", no_args_is_help=True)

    @app.command("rotate-keys")
    def rotate_keys(
        media: str = typer.Option(None, "--media", envvar=MEDIA_ENV, help="Media store URL."),
    ) -> None:
        """Re-wrap every data key under CPD_MEDIA_KEK; old keys in CPD_MEDIA_PREVIOUS_KEKS.

        Media are not re-encrypted. Safe to interrupt and run again.
        """
        store = open_media(media)
        report = store.rotate()
        typer.echo(
            f"{store.url}: {report.rewrapped} re-wrapped, "
            f"{report.already_current} already under the current key, "
            f"{len(report.failures)} failed"
        )
        for failure in report.failures:
            typer.echo(f"  {failure.trust_key}/{failure.media_id}: {failure.reason}", err=True)
        if not report.complete:
            raise typer.Exit(1)

    @app.command()
    def sweep(
        media: str = typer.Option(None, "--media", envvar=MEDIA_ENV, help="Media store URL."),
        older_than_hours: float = typer.Option(24.0, help="Only leftovers at least this old."),
    ) -> None:
        """Remove leftovers of interrupted writes (never a visible item)."""
        store = open_media(media)
        removed = store.sweep(older_than_seconds=older_than_hours * 3600)
        typer.echo(f"{store.url}: removed {removed} leftover file(s)")

    return app
