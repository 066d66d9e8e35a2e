"""The application facade: ``Cpd.open(url)`` and the use cases, acting for an actor.

``Cpd`` resolves adapters through the plugin manager; ``cpd.as_actor(actor)`` returns an
:class:`ActingCpd` whose methods are the use cases. Each use case runs in one unit of work
(all or nothing) and is audited. The use cases live in :mod:`cpdcore.services`, one module
per concept; this module only assembles them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, Self

from cpdcore.clocks import SystemClock
from cpdcore.domain.actors import Actor
from cpdcore.domain.audit import AuditEntry, AuditProblem, verify_chain
from cpdcore.domain.identifiers import TrustId
from cpdcore.plugins import make_plugin_manager, resolve
from cpdcore.ports import AuditSink, Clock, MediaStore, MisSource, Storage
from cpdcore.services.aggregation import AggregationUseCases
from cpdcore.services.alignment import AlignmentUseCases
from cpdcore.services.appraisal import AppraisalUseCases
from cpdcore.services.calendars import CalendarUseCases
from cpdcore.services.consent import ConsentUseCases
from cpdcore.services.context import Adapters
from cpdcore.services.cpd_record import CpdRecordUseCases
from cpdcore.services.evidence import EvidenceUseCases
from cpdcore.services.gdpr import GdprUseCases
from cpdcore.services.observations import ObservationUseCases
from cpdcore.services.organisation import OrganisationUseCases
from cpdcore.services.rag import RagUseCases
from cpdcore.services.rag_aggregation import RagAggregationUseCases
from cpdcore.services.reports import ReportUseCases
from cpdcore.services.roster import RosterUseCases
from cpdcore.services.video_clubs import VideoClubUseCases

__all__ = ["ActingCpd", "Cpd"]

_AUDIT_PAGE = 1000


class ActingCpd(
    OrganisationUseCases,
    AppraisalUseCases,
    EvidenceUseCases,
    CpdRecordUseCases,
    ReportUseCases,
    RagAggregationUseCases,
    AlignmentUseCases,
    AggregationUseCases,
    RosterUseCases,
    ConsentUseCases,
    GdprUseCases,
    RagUseCases,
    ObservationUseCases,
    VideoClubUseCases,
    CalendarUseCases,
):
    """The use cases of cpdcore, each performed on behalf of :attr:`actor`."""


class Cpd:
    """An open cpdcore: storage plus optional media store and MIS, and the plugins."""

    def __init__(self, adapters: Adapters) -> None:
        self._adapters = adapters

    @classmethod
    def open(
        cls,
        url: str,
        *,
        media: str | MediaStore | None = None,
        mis: str | MisSource | None = None,
        plugins: Iterable[object] = (),
        clock: Clock | None = None,
        audit_sinks: Sequence[AuditSink] = (),
        entry_points: bool = True,
    ) -> Cpd:
        """Open the store at ``url`` (e.g. ``sqlite:///cpd.db`` or ``memory://``).

        ``media`` and ``mis`` are URLs resolved through plugins or ready-made adapter
        objects. ``plugins`` are extra plugin objects; they are called before installed
        ones, so they can override a hook. ``entry_points=False`` ignores installed plugins
        (useful in tests). Raises :class:`~cpdcore.errors.PluginNotFound` when no plugin
        serves a URL.
        """
        pm = make_plugin_manager(plugins, entry_points=entry_points)
        storage: Storage = resolve(pm, "storage", url)
        media_store = resolve(pm, "media", media) if isinstance(media, str) else media
        mis_source = resolve(pm, "mis", mis) if isinstance(mis, str) else mis
        return cls(
            Adapters(
                storage=storage,
                clock=clock or SystemClock(),
                plugin_manager=pm,
                media=media_store,
                mis=mis_source,
                audit_sinks=tuple(audit_sinks),
            )
        )

    @property
    def storage(self) -> Storage:
        """The storage adapter."""
        return self._adapters.storage

    @property
    def media(self) -> MediaStore | None:
        """The media store, if one was configured."""
        return self._adapters.media

    @property
    def mis(self) -> MisSource | None:
        """The MIS source, if one was configured."""
        return self._adapters.mis

    @property
    def clock(self) -> Clock:
        """The clock use cases read "now" from."""
        return self._adapters.clock

    @property
    def plugin_manager(self) -> Any:
        """The pluggy plugin manager (hooks are under ``.hook``)."""
        return self._adapters.plugin_manager

    def as_actor(self, actor: Actor) -> ActingCpd:
        """The use cases, acting for ``actor`` inside ``actor.trust_id``."""
        return ActingCpd(self._adapters, actor)

    def verify_audit(self, trust_id: TrustId) -> Sequence[AuditProblem]:
        """Check the trust's audit chain; an empty result means it is intact."""
        entries: list[AuditEntry] = []
        with self.storage.unit_of_work() as uow:
            after = 0
            while batch := uow.audit.entries(trust_id, after_seq=after, limit=_AUDIT_PAGE):
                entries.extend(batch)
                after = batch[-1].seq
        return verify_chain(entries)

    def close(self) -> None:
        """Close every adapter."""
        self.storage.close()
        if self.media is not None:
            self.media.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
