"""What every use case needs: the adapters, the clock, the actor and a transaction.

A use case opens :meth:`UseCases._transaction`; inside it writes through repositories,
records audit entries and queues events and post-commit actions. Leaving the block
normally commits the unit of work and only then dispatches the queue (the outbox); an
exception rolls everything back and nothing is dispatched.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypeVar

import attrs

from cpdcore.domain.actors import Actor
from cpdcore.domain.audit import AuditEntry, chain_entry
from cpdcore.domain.events import Event
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.line_management import AppraiserAssignment, academic_year_of, appraiser_on
from cpdcore.domain.organisation import Role
from cpdcore.errors import ConfigurationError, PermissionDenied
from cpdcore.plugins import call_safely
from cpdcore.ports import AuditSink, Clock, MediaStore, MisSource, Record, Repository, Storage
from cpdcore.ports import UnitOfWork as UnitOfWorkPort

__all__ = ["Adapters", "Transaction", "UseCases", "all_pages", "appraiser_of", "new_id"]

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)


def new_id() -> str:
    """A fresh random identifier (32 hex digits)."""
    return uuid.uuid4().hex


def all_pages(
    repo: Repository[R],
    trust_id: TrustId,
    *,
    school_id: SchoolId | None = None,
    where: Mapping[str, object] | None = None,
) -> list[R]:
    """Every record a list query matches, following the cursor page by page."""
    items: list[R] = []
    after: str | None = None
    while True:
        page = repo.list(trust_id, school_id=school_id, where=where, after=after)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        after = page.next_cursor


def appraiser_of(tx: Transaction, appraisee_id: StaffId, day: date) -> StaffId | None:
    """The appraiser ``appraisee_id`` has on ``day`` in the actor's trust, if any."""
    assignments = all_pages(
        tx.repo(AppraiserAssignment),
        tx.actor.trust_id,
        where={"appraisee_id": appraisee_id, "academic_year": academic_year_of(day)},
    )
    return appraiser_on(assignments, appraisee_id, day)


@attrs.frozen
class Adapters:
    """The resolved adapters and services a :class:`~cpdcore.app.Cpd` was opened with."""

    storage: Storage
    clock: Clock
    plugin_manager: Any
    media: MediaStore | None = None
    mis: MisSource | None = None
    audit_sinks: tuple[AuditSink, ...] = ()


class Transaction:
    """One use case's unit of work plus its outbox of events and post-commit actions."""

    def __init__(self, uow: UnitOfWorkPort, actor: Actor, now: datetime) -> None:
        self.uow = uow
        self.actor = actor
        self.now = now
        self.events: list[Event] = []
        self.post_commit: list[Callable[[], None]] = []
        self.audit_entries: list[AuditEntry] = []

    def repo(self, kind: type[R]) -> Repository[R]:
        """The repository for records of class ``kind``."""
        return self.uow.repository(kind)

    def audit(
        self,
        action: str,
        record_kind: str,
        record_id: str,
        *,
        payload: Mapping[str, Any] | None = None,
        school_id: SchoolId | None = None,
        subject_id: str | None = None,
    ) -> AuditEntry:
        """Append a chained audit entry, stored in this same transaction."""
        trust_id = self.actor.trust_id
        entry = chain_entry(
            self.uow.audit.last(trust_id),
            trust_id=trust_id,
            at=self.now,
            actor_id=self.actor.id,
            action=action,
            record_kind=record_kind,
            record_id=record_id,
            payload=payload,
            school_id=school_id,
            subject_id=subject_id,
        )
        self.uow.audit.append(entry)
        self.audit_entries.append(entry)
        return entry

    def emit(
        self, name: str, record_id: str, *, school_id: SchoolId | None = None, **data: str
    ) -> None:
        """Queue a domain event, dispatched through ``cpdcore_event`` after commit."""
        self.events.append(
            Event(
                name=name,
                trust_id=self.actor.trust_id,
                record_id=record_id,
                at=self.now,
                school_id=school_id,
                actor_id=self.actor.id,
                data=data,
            )
        )

    def after_commit(self, action: Callable[[], None]) -> None:
        """Queue an action (e.g. deleting media) to run only if the commit succeeds."""
        self.post_commit.append(action)


class UseCases:
    """Base of the use-case mixins: holds the adapters and the actor."""

    def __init__(self, adapters: Adapters, actor: Actor) -> None:
        self._adapters = adapters
        self.actor = actor

    @property
    def _media(self) -> MediaStore:
        if self._adapters.media is None:
            raise ConfigurationError(
                "this Cpd was opened without a media store; pass media='file:///path' "
                "(cpdcore-media-fs) or media='memory://' to Cpd.open"
            )
        return self._adapters.media

    @property
    def _mis(self) -> MisSource:
        if self._adapters.mis is None:
            raise ConfigurationError(
                "this Cpd was opened without an MIS source; pass mis='oneroster+file:///dir' "
                "(cpdcore-oneroster) or an MisSource object to Cpd.open"
            )
        return self._adapters.mis

    def _now(self) -> datetime:
        return self._adapters.clock.now()

    @contextmanager
    def _transaction(self) -> Iterator[Transaction]:
        """Run a block as one unit of work; dispatch the outbox only after commit."""
        with self._adapters.storage.unit_of_work() as uow:
            tx = Transaction(uow, self.actor, self._now())
            yield tx
            uow.commit()
        self._dispatch(tx)

    def _dispatch(self, tx: Transaction) -> None:
        hook = self._adapters.plugin_manager.hook
        for event in tx.events:
            call_safely(hook.cpdcore_event, event=event)
        for action in tx.post_commit:
            try:
                action()
            except Exception:
                log.exception("post-commit action failed; the committed change stands")
        for entry in tx.audit_entries:
            call_safely(hook.cpdcore_audit, entry=entry)
            for sink in self._adapters.audit_sinks:
                try:
                    sink.record(entry)
                except Exception:
                    log.exception("audit sink %r failed", sink)

    def _require(self, roles: frozenset[Role], school_id: SchoolId | None, doing: str) -> None:
        """Raise ``PermissionDenied`` unless the actor holds one of ``roles`` at the school."""
        if self.actor.has_any_role(roles, school_id):
            return
        names = " or ".join(sorted(r.value for r in roles))
        where = f"at school {school_id}" if school_id else "across the trust"
        raise PermissionDenied(f"{doing} needs the role {names} {where}; {self._who} has none")

    @property
    def _who(self) -> str:
        """The actor as messages name them: ``Émile Durand (b817…)``, or the bare id."""
        actor = self.actor
        if actor.staff_id is None or not actor.label or actor.label == actor.id:
            return actor.id
        return f"{actor.label} ({actor.id})"
