"""``cpd db copy``: move a store (or some of its trusts) to another database, verified.

Every table is copied in primary-key order in batches, inside one transaction on the
target. Before that transaction commits, each table's row count and SHA-256 checksum are
computed on both sides from the same canonical form of the rows; any difference rolls the
target back and raises, so a copy is either complete and identical or absent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from cpdcore.domain.identifiers import TrustId
from cpdcore.errors import ConfigurationError, CpdError
from cpdcore_sqlalchemy import schema
from cpdcore_sqlalchemy.storage import SqlStorage
from cpdcore_sqlalchemy.tables import metadata
from cpdcore_sqlalchemy.urls import redacted

__all__ = ["CopyMismatch", "TableCopy", "copy_store", "table_fingerprint"]

BATCH_ROWS = 1000


class CopyMismatch(CpdError):
    """The copied rows differ from the source; the target was rolled back."""


@attrs.frozen
class TableCopy:
    """One copied table: rows on each side and the checksum they share."""

    table: str
    rows: int
    checksum: str


def _canonical(value: Any) -> Any:
    # Engines return the same data as slightly different Python types (0/1 vs False/True).
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | str) or value is None:
        return value
    return str(value)


def _selection(table: sa.Table, trusts: Sequence[TrustId] | None) -> sa.Select[Any]:
    query = sa.select(table).order_by(*table.primary_key.columns)
    if trusts:
        query = query.where(table.c.trust_id.in_(list(trusts)))
    return query


def _row_count(table: sa.Table, trusts: Sequence[TrustId] | None) -> sa.Select[Any]:
    # select_from is needed: a bare count(*) with no trust filter has no FROM and counts 1.
    query = sa.select(sa.func.count()).select_from(table)
    if trusts:
        query = query.where(table.c.trust_id.in_(list(trusts)))
    return query


def table_fingerprint(
    connection: sa.Connection, table: sa.Table, trusts: Sequence[TrustId] | None = None
) -> tuple[int, str]:
    """``(rows, sha256)`` of a table's rows (of ``trusts``) in primary-key order."""
    digest = hashlib.sha256()
    count = 0
    # Statement-level option: Connection.execution_options() would change the connection.
    result = connection.execute(_selection(table, trusts).execution_options(yield_per=BATCH_ROWS))
    for row in result:
        line = json.dumps([_canonical(v) for v in row], ensure_ascii=False, separators=(",", ":"))
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def copy_store(
    source_url: str,
    target_url: str,
    *,
    trusts: Sequence[TrustId] | None = None,
    progress: Callable[[str, int], None] = lambda _table, _rows: None,
) -> list[TableCopy]:
    """Copy every cpdcore table (or only ``trusts``' rows) from source to target.

    The source must exist and be at the current schema version (an SQLite source is
    upgraded, as opening it would); the target is upgraded to it and must hold no rows of the trusts
    being copied. Returns one :class:`TableCopy` per table; raises :class:`CopyMismatch`
    (target unchanged) if any count or checksum differs.
    """
    missing = schema.missing_sqlite_file(source_url)
    if missing is not None:
        raise ConfigurationError(
            f"nothing to copy: --from {redacted(source_url)} names the SQLite file {missing}, "
            "which does not exist; give the file of an existing store"
        )
    source_store = SqlStorage(source_url)
    target_engine = schema.make_engine(target_url)
    try:
        source_store.tenants()  # migrates an embedded source, checks a server's version
        schema.upgrade(target_engine)
        report: list[TableCopy] = []
        with source_store.engine.connect() as source, target_engine.begin() as target:
            tables = list(metadata.sorted_tables)
            for table in tables:
                taken = target.execute(_row_count(table, trusts)).scalar_one()
                if taken and trusts:
                    raise ConfigurationError(
                        f"{redacted(target_url)} already holds {taken} rows of "
                        f"{', '.join(trusts)} in {table.name}; copy into a store without "
                        "them (or choose other trusts)"
                    )
                if taken:
                    raise ConfigurationError(
                        f"{redacted(target_url)} already holds {taken} rows in {table.name}; "
                        "copy every trust into an empty store (or choose trusts with --trust)"
                    )
            for table in tables:
                copied = 0
                rows = source.execute(
                    _selection(table, trusts).execution_options(yield_per=BATCH_ROWS)
                )
                for batch in rows.mappings().partitions():
                    target.execute(sa.insert(table), [dict(r) for r in batch])
                    copied += len(batch)
                    progress(table.name, copied)
                expected = table_fingerprint(source, table, trusts)
                found = table_fingerprint(target, table, trusts)
                if expected != found:
                    raise CopyMismatch(
                        f"{table.name}: source has {expected[0]} rows (sha256 {expected[1]}), "
                        f"the copy {found[0]} rows (sha256 {found[1]}); nothing was kept"
                    )
                report.append(TableCopy(table.name, expected[0], expected[1]))
        return report
    finally:
        source_store.close()
        target_engine.dispose()
