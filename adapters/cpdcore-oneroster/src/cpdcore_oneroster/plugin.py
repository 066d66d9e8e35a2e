"""The pluggy plugin module of cpdcore-oneroster (entry point group ``cpdcore``).

Serves ``oneroster+file://DIR`` as an MIS source and adds ``cpd import oneroster``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cpdcore.hookspecs import hookimpl
from cpdcore_oneroster.folder import SCHEME, OneRosterFolder

__all__ = ["cpdcore_cli", "cpdcore_mis_source", "cpdcore_schemes"]


@hookimpl
def cpdcore_schemes() -> Mapping[str, Sequence[str]]:
    """This plugin serves ``oneroster+file://`` MIS sources."""
    return {"mis": [SCHEME]}


@hookimpl
def cpdcore_mis_source(url: str) -> OneRosterFolder | None:
    """The export folder a ``oneroster+file://`` URL names (read on first use)."""
    if url.split(":", 1)[0] != SCHEME:
        return None
    return OneRosterFolder.from_url(url)


@hookimpl
def cpdcore_cli(app: Any) -> None:
    """Add ``cpd import oneroster DIR``."""
    from cpdcore_oneroster.cli import register

    register(app)
