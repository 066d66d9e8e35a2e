"""Plugin manager: resolution by URL, host overrides, after-commit hooks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from cpdcore import Actor, Cpd, PluginNotFound
from cpdcore.domain.audit import AuditEntry
from cpdcore.domain.events import Event
from cpdcore.domain.identifiers import TrustId
from cpdcore.hookspecs import hookimpl
from cpdcore.memory import InMemoryMediaStore, InMemoryStorage, RecordingAuditSink
from cpdcore.plugins import describe_plugins, installed_schemes, make_plugin_manager

T = TrustId("trust-1")


def test_unknown_scheme_names_installed_schemes_and_providers() -> None:
    with pytest.raises(PluginNotFound) as caught:
        Cpd.open("nosuch://x")
    message = str(caught.value)
    assert "no storage plugin serves 'nosuch://x'" in message
    assert "memory" in message
    assert "sqlite:// is provided by cpdcore-sqlalchemy" in message
    assert "postgresql:// is provided by cpdcore-sqlalchemy" in message


def test_unknown_media_scheme_is_reported_for_the_media_port() -> None:
    with pytest.raises(PluginNotFound, match="no media plugin serves 's3://bucket'"):
        Cpd.open("memory://", media="s3://bucket")


class MarkedStorage(InMemoryStorage):
    """A store a host plugin hands out, to show which plugin answered."""


class OverridingPlugin:
    @hookimpl
    def cpdcore_schemes(self) -> Mapping[str, Sequence[str]]:
        return {"storage": ["memory"]}

    @hookimpl
    def cpdcore_storage(self, url: str) -> InMemoryStorage | None:
        return MarkedStorage(url) if url.startswith("memory:") else None


def test_a_plugin_registered_at_runtime_overrides_the_builtin() -> None:
    plain = Cpd.open("memory://")
    assert type(plain.storage) is InMemoryStorage
    overridden = Cpd.open("memory://", plugins=[OverridingPlugin()])
    assert type(overridden.storage) is MarkedStorage


def test_a_plugin_can_serve_a_new_scheme() -> None:
    class Custom:
        @hookimpl
        def cpdcore_storage(self, url: str) -> InMemoryStorage | None:
            return MarkedStorage(url) if url.startswith("custom:") else None

    assert isinstance(Cpd.open("custom://here", plugins=[Custom()]).storage, MarkedStorage)


def test_media_factories_receive_the_key_provider() -> None:
    seen: list[bytes | None] = []

    class Keys:
        @hookimpl
        def cpdcore_key_provider(self, url: str) -> bytes | None:
            return b"k" * 32 if url.startswith("vault:") else None

    class Media:
        @hookimpl
        def cpdcore_media_store(self, url: str, keys: object) -> InMemoryMediaStore | None:
            if not url.startswith("vault:"):
                return None
            seen.append(keys(url))  # type: ignore[operator]
            return InMemoryMediaStore(url)

    cpd = Cpd.open("memory://", media="vault://x", plugins=[Keys(), Media()])
    assert isinstance(cpd.media, InMemoryMediaStore)
    assert seen == [b"k" * 32]


def test_installed_schemes_and_doctor_listing() -> None:
    pm = make_plugin_manager([OverridingPlugin()], entry_points=False)
    assert installed_schemes(pm)["storage"] == ["memory"]
    names = [info.name for info in describe_plugins(pm)]
    assert "cpdcore.memory" in names
    memory = next(i for i in describe_plugins(pm) if i.name == "cpdcore.memory")
    assert memory.distribution == "cpdcore"
    assert memory.schemes["storage"] == ["memory"]


class Listener:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.audit: list[AuditEntry] = []

    @hookimpl
    def cpdcore_event(self, event: Event) -> None:
        self.events.append(event)

    @hookimpl
    def cpdcore_audit(self, entry: AuditEntry) -> None:
        self.audit.append(entry)


def test_events_and_audit_copies_leave_only_after_commit() -> None:
    listener = Listener()
    sink = RecordingAuditSink()
    cpd = Cpd.open("memory://", plugins=[listener], audit_sinks=[sink])
    admin = cpd.as_actor(Actor.system(T))
    admin.set_up_trust("Trust")
    admin.add_school("Hill")
    assert [e.name for e in listener.events] == ["school.created"]
    assert [e.action for e in listener.audit] == ["trust.created", "school.created"]
    assert sink.entries == listener.audit


def test_nothing_is_dispatched_for_a_rolled_back_change() -> None:
    listener = Listener()
    cpd = Cpd.open("memory://", plugins=[listener])
    admin = cpd.as_actor(Actor.system(T))
    admin.set_up_trust("Trust")
    listener.audit.clear()

    class Boom(Exception):
        pass

    ran: list[str] = []
    with pytest.raises(Boom), admin._transaction() as tx:
        tx.emit("school.created", "s1")
        tx.after_commit(lambda: ran.append("deleted media"))
        tx.audit("school.created", "School", "s1")
        raise Boom
    assert listener.events == []
    assert listener.audit == []
    assert ran == []
    assert cpd.verify_audit(T) == []


def test_a_failing_listener_does_not_undo_the_commit() -> None:
    class Broken:
        @hookimpl
        def cpdcore_event(self, event: Event) -> None:
            raise RuntimeError("notification service down")

    listener = Listener()
    cpd = Cpd.open("memory://", plugins=[listener, Broken()])
    admin = cpd.as_actor(Actor.system(T))
    admin.set_up_trust("Trust")
    school = admin.add_school("Hill")
    assert [s.id for s in admin.schools()] == [school.id]
    assert [e.name for e in listener.events] == ["school.created"]
