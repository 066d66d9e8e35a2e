"""The anonymised-aggregation query ledger kept in the store (:class:`cpdcore.ports.QueryLedger`).

One ledger per trust (every statement filters by ``trust_id``), holding per requester:

* the answers given, replayed unchanged when the same question meets the same data;
* the populations those answers revealed, as zlib-compressed sorted 64-bit keyed hashes of
  person ids (the key lives in ``cpd_ledger_keys``; no person id is ever stored), so a new
  query whose population differs from an earlier one by 1 to k - 1 people is refused;
* the differential-privacy budget spent.

It behaves like :class:`cpdcore.aggregation_io.SqliteQueryLedger` (the reference
implementation) but lives in the trust's own database, so ``cpd aggregate --db URL``
remembers what every requester was told whichever machine they ask from.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import secrets
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from cpdcore.domain.aggregation.differencing import (
    check_near_match,
)
from cpdcore.domain.identifiers import TrustId
from cpdcore.extras import require
from cpdcore_sqlalchemy.tables import (
    LEDGER_ANSWERS_TABLE,
    LEDGER_BUDGETS_TABLE,
    LEDGER_KEYS_TABLE,
    LEDGER_POPULATIONS_TABLE,
    TEXT_LENGTH,
)

__all__ = ["SqlQueryLedger"]

_KEY_BYTES = 32


def _numpy() -> Any:
    return require("numpy", "the query ledger")


class SqlQueryLedger:
    """The query ledger of one trust in a cpdcore SQL store.

    Each method runs in its own short transaction; :meth:`record` writes an answer, its
    populations and the budget it spent atomically.
    """

    def __init__(self, engine: sa.Engine, trust_id: TrustId) -> None:
        self._engine = engine
        self.trust_id = trust_id

    def close(self) -> None:
        """Nothing to release: connections return to the store's pool after each call."""
        return None

    def _requester(self, requester: str) -> str:
        if len(requester) > TEXT_LENGTH:
            # Long requester names are kept apart by their digest.
            return "sha256:" + hashlib.sha256(requester.encode()).hexdigest()
        return requester

    def person_key(self) -> bytes:
        """The trust's secret key for hashing person ids (created on first use)."""
        t = LEDGER_KEYS_TABLE
        select = sa.select(t.c.person_key).where(t.c.trust_id == self.trust_id)
        with self._engine.connect() as connection:
            found = connection.execute(select).scalar_one_or_none()
        if found is not None:
            return bytes(found)
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    sa.insert(t).values(
                        trust_id=self.trust_id, person_key=secrets.token_bytes(_KEY_BYTES)
                    )
                )
        except sa.exc.IntegrityError:
            pass  # another process created it first; use theirs
        with self._engine.connect() as connection:
            return bytes(connection.execute(select).scalar_one())

    def find_answer(self, requester: str, fingerprint: str) -> dict[str, Any] | None:
        """The stored answer to an identical earlier query, or ``None``."""
        t = LEDGER_ANSWERS_TABLE
        with self._engine.connect() as connection:
            found = connection.execute(
                sa.select(t.c.answer).where(
                    t.c.trust_id == self.trust_id,
                    t.c.requester == self._requester(requester),
                    t.c.fingerprint == fingerprint,
                )
            ).scalar_one_or_none()
        return None if found is None else dict(json.loads(found))

    def check_populations(self, requester: str, populations: Iterable[Any], k: int) -> None:
        """Raise ``DisclosureRefused`` when a population differs from an earlier one of the
        same requester by 1 to ``k - 1`` people (the message reveals no number).

        Earlier populations of a size that could matter are read in one query (a table
        has hundreds of cells; one round trip each would dominate the answer's time).
        """
        np = _numpy()

        def symmetric_difference(population: Any, earlier: Any) -> int:
            return len(np.setxor1d(population, earlier, assume_unique=True))

        wanted = [p for p in populations if len(p)]
        if not wanted:
            return
        t = LEDGER_POPULATIONS_TABLE
        sizes = sorted(len(p) for p in wanted)
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(t.c.size, t.c.members).where(
                    t.c.trust_id == self.trust_id,
                    t.c.requester == self._requester(requester),
                    t.c.size.between(sizes[0] - k + 1, sizes[-1] + k - 1),
                )
            ).all()
        if not rows:
            return
        earlier = sorted(((int(size), blob) for size, blob in rows), key=lambda r: r[0])
        earlier_sizes = [size for size, _blob in earlier]
        opened: dict[int, Any] = {}
        for population in wanted:
            size = len(population)
            first = bisect.bisect_left(earlier_sizes, size - k + 1)
            last = bisect.bisect_right(earlier_sizes, size + k - 1)
            for index in range(first, last):
                if index not in opened:
                    opened[index] = np.frombuffer(zlib.decompress(earlier[index][1]), np.uint64)
                check_near_match(population, opened[index], k, symmetric_difference)

    def record(
        self,
        requester: str,
        fingerprint: str,
        answer: Mapping[str, Any],
        populations: Iterable[Any],
        *,
        epsilon: float = 0.0,
    ) -> None:
        """Store an answer, the populations it revealed and the budget it spent, atomically."""
        who = self._requester(requester)
        rows: list[dict[str, Any]] = []
        seen: set[bytes] = set()
        for population in populations:
            raw = population.astype("uint64").tobytes()
            if not len(population) or raw in seen:
                continue
            seen.add(raw)
            rows.append(
                {
                    "trust_id": self.trust_id,
                    "requester": who,
                    "fingerprint": fingerprint,
                    "seq": len(rows),
                    "size": len(population),
                    "members": zlib.compress(raw),
                }
            )
        with self._engine.begin() as connection:
            connection.execute(
                sa.insert(LEDGER_ANSWERS_TABLE).values(
                    trust_id=self.trust_id,
                    requester=who,
                    fingerprint=fingerprint,
                    answered_at=datetime.now(UTC).isoformat(),
                    answer=json.dumps(answer),
                    epsilon=epsilon,
                )
            )
            if rows:
                connection.execute(sa.insert(LEDGER_POPULATIONS_TABLE), rows)
            if epsilon:
                b = LEDGER_BUDGETS_TABLE
                connection.execute(
                    sa.update(b)
                    .where(b.c.trust_id == self.trust_id, b.c.requester == who)
                    .values(spent=b.c.spent + epsilon)
                )

    def budget(self, requester: str, default_total: float) -> tuple[float, float]:
        """``(spent, total)`` epsilon of the requester (created with ``default_total``)."""
        b = LEDGER_BUDGETS_TABLE
        who = self._requester(requester)
        select = sa.select(b.c.spent, b.c.total).where(
            b.c.trust_id == self.trust_id, b.c.requester == who
        )
        with self._engine.connect() as connection:
            row = connection.execute(select).first()
        if row is None:
            try:
                with self._engine.begin() as connection:
                    connection.execute(
                        sa.insert(b).values(
                            trust_id=self.trust_id, requester=who, total=default_total, spent=0.0
                        )
                    )
            except sa.exc.IntegrityError:
                pass  # created concurrently; read it back
            with self._engine.connect() as connection:
                row = connection.execute(select).one()
        return (float(row.spent), float(row.total))

    def set_budget(self, requester: str, total: float) -> None:
        """Set the requester's total budget (an operator decision)."""
        self.budget(requester, total)
        b = LEDGER_BUDGETS_TABLE
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(b)
                .where(b.c.trust_id == self.trust_id, b.c.requester == self._requester(requester))
                .values(total=total)
            )
