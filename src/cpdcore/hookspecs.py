"""The plugin contract of cpdcore (pluggy project name ``"cpdcore"``).

Each function below is a *hookspec*: its docstring is the contract a plugin implements.
A plugin is any object or module with functions named like these and decorated with
:data:`hookimpl`; install it under the ``cpdcore`` entry-point group, or pass it to
``Cpd.open(..., plugins=[...])``. Plugins passed by the host are registered last, so pluggy
calls them first: for ``firstresult`` hooks they override installed ones.

Factory hooks (``firstresult=True``) receive a URL and return an object for the port, or
``None`` when the URL's scheme is not theirs. Collecting hooks return a list of things that
cpdcore merges. Event and audit hooks are called only after the unit of work commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from cpdcore.domain.audit import AuditEntry
    from cpdcore.domain.events import Event
    from cpdcore.ports import MediaStore, MisSource, Storage

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "cpdcore"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def cpdcore_schemes() -> Mapping[str, Sequence[str]]:  # type: ignore[empty-body]
    """Declare which URL schemes this plugin serves, per port.

    Used by ``cpd doctor`` and by the :class:`~cpdcore.errors.PluginNotFound` message.
    Keys are ``"storage"``, ``"media"``, ``"mis"`` and ``"keys"``.

    Example::

        @hookimpl
        def cpdcore_schemes():
            return {"storage": ["sqlite", "postgresql"]}
    """


@hookspec(firstresult=True)
def cpdcore_storage(url: str) -> Storage | None:
    """Return a :class:`~cpdcore.ports.Storage` for ``url``, or ``None`` if not yours.

    Called by ``Cpd.open(url)``; the first non-``None`` result wins. Decide by the URL
    scheme only, and do not connect eagerly if you can avoid it.

    Example::

        @hookimpl
        def cpdcore_storage(url):
            if url.startswith("sqlite:"):
                return SqlStorage(url)
            return None
    """


@hookspec(firstresult=True)
def cpdcore_media_store(url: str, keys: Callable[[str], bytes | None]) -> MediaStore | None:
    """Return a :class:`~cpdcore.ports.MediaStore` for ``url``, or ``None`` if not yours.

    ``keys(url)`` asks the ``cpdcore_key_provider`` hooks for the key-encryption key of
    ``url`` (``None`` when no provider answers); an implementation that encrypts should
    call it rather than read keys itself, so hosts can plug in a vault. Implementations
    that need no key may leave the argument out of their signature.

    Example::

        @hookimpl
        def cpdcore_media_store(url, keys):
            return EncryptedFileStore(url, kek=keys(url)) if url.startswith("file:") else None
    """


@hookspec(firstresult=True)
def cpdcore_mis_source(url: str) -> MisSource | None:
    """Return a :class:`~cpdcore.ports.MisSource` for ``url``, or ``None`` if not yours.

    Example::

        @hookimpl
        def cpdcore_mis_source(url):
            return OneRosterFolder(url) if url.startswith("oneroster+file:") else None
    """


@hookspec(firstresult=True)
def cpdcore_key_provider(url: str) -> bytes | None:
    """Return the key-encryption key (32 bytes) for the media store at ``url``.

    Media adapters call this to unwrap per-item data keys. Return ``None`` to let the
    next provider (or the environment-variable default) answer. Never store the key
    beside the data it protects.

    Example::

        @hookimpl
        def cpdcore_key_provider(url):
            return vault.read("cpd-media-kek") if url.startswith("file:") else None
    """


@hookspec
def cpdcore_rag_rules() -> Sequence[Any]:  # type: ignore[empty-body]
    """Return extra RAG rules to run after the built-in ones.

    Each rule is an object as described in :mod:`cpdcore.domain.rag`. A rule may only make
    a status worse or add an explanation unless the school's policy allows improvements.

    Example::

        @hookimpl
        def cpdcore_rag_rules():
            return [NoCpdLoggedRule()]
    """


@hookspec
def cpdcore_smart_checks() -> Sequence[Any]:  # type: ignore[empty-body]
    """Return extra SMART checks; their verdicts merge with the built-in letters.

    Each check is an object as described in :mod:`cpdcore.domain.smart`; its name appears
    in the explanation of any verdict it decided.

    Example::

        @hookimpl
        def cpdcore_smart_checks():
            return [NamesPupilGroupCheck()]
    """


@hookspec
def cpdcore_event(event: Event) -> None:
    """Receive a domain event after the unit of work that raised it committed.

    Never called for a rolled-back change. Exceptions raised here are logged and do not
    undo the committed change.

    Example::

        @hookimpl
        def cpdcore_event(event):
            if event.name == "rag.turned_red":
                notify(event.record_id)
    """


@hookspec
def cpdcore_audit(entry: AuditEntry) -> None:
    """Receive a copy of each audit entry after commit (for a SIEM or log shipper).

    The authoritative, hash-chained audit log is written through the storage port in the
    same transaction as the change; this hook only feeds external copies.

    Example::

        @hookimpl
        def cpdcore_audit(entry):
            siem.send(entry.action, entry.record_id, entry.at.isoformat())
    """


@hookspec
def cpdcore_cli(app: Any) -> None:
    """Add subcommands to the ``cpd`` command line.

    ``app`` is the root :class:`typer.Typer`; add a sub-application with
    ``app.add_typer(db_app, name="db")``.

    Example::

        @hookimpl
        def cpdcore_cli(app):
            app.add_typer(db_app, name="db")
    """
