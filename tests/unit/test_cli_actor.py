"""How the CLI finds the store and the acting person (--db/CPD_DB, --as/CPD_ACTOR)."""

from __future__ import annotations

import pytest

from cpdcore import Actor, ConfigurationError, Cpd, PermissionDenied, Role, RoleAssignment
from cpdcore.cli import open_store, resolve_actor
from cpdcore.domain.identifiers import SchoolId, TrustId


@pytest.fixture
def cpd() -> Cpd:
    cpd = Cpd.open("memory://")
    admin = cpd.as_actor(Actor.system(TrustId("riverside")))
    admin.set_up_trust("Riverside")
    admin.add_school("North", school_id=SchoolId("north"))
    admin.add_staff(
        "Ann",
        "Lee",
        staff_id=None,
        sourced_id="mis-42",
        roles=[RoleAssignment(Role.APPRAISER, SchoolId("north"))],
    )
    return cpd


def test_actor_by_sourced_id_in_the_only_trust(cpd: Cpd) -> None:
    actor = resolve_actor(cpd, "mis-42")
    assert actor.trust_id == "riverside"
    assert actor.has_role(Role.APPRAISER, SchoolId("north"))


def test_actor_from_environment(cpd: Cpd, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPD_ACTOR", "riverside:mis-42")
    assert resolve_actor(cpd, None).label == "Ann Lee"


def test_ambiguous_trust_asks_for_trust_prefix(cpd: Cpd) -> None:
    cpd.as_actor(Actor.system(TrustId("other"))).set_up_trust("Other")
    with pytest.raises(ConfigurationError, match="TRUST:ID"):
        resolve_actor(cpd, "mis-42")
    assert resolve_actor(cpd, "riverside:mis-42").trust_id == "riverside"


def test_unknown_person_and_trust_are_clear_errors(cpd: Cpd) -> None:
    with pytest.raises(ConfigurationError, match="no staff member"):
        resolve_actor(cpd, "nobody")
    with pytest.raises(ConfigurationError, match="'elsewhere' is not in this store"):
        resolve_actor(cpd, "elsewhere:mis-42")


def test_no_actor_and_no_store_name_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CPD_ACTOR", raising=False)
    monkeypatch.delenv("CPD_DB", raising=False)
    with pytest.raises(ConfigurationError, match="--as"):
        resolve_actor(Cpd.open("memory://"), None)
    with pytest.raises(ConfigurationError, match="CPD_DB"):
        open_store(None)
    monkeypatch.setenv("CPD_DB", "memory://")
    assert open_store(None).storage.url == "memory://"


def test_typer_exit_codes_reach_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from cpdcore import cli

    app = typer.Typer()

    @app.command()
    def refuse() -> None:
        raise typer.Exit(3)

    @app.command()
    def fine() -> None:
        pass

    monkeypatch.setattr(cli, "build_app", lambda: app)
    monkeypatch.setattr("sys.argv", ["cpd", "refuse"])
    with pytest.raises(SystemExit) as caught:
        cli.main()
    assert caught.value.code == 3
    monkeypatch.setattr("sys.argv", ["cpd", "fine"])
    cli.main()  # returns normally: exit status 0


def test_an_empty_store_says_it_holds_no_trust_yet() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_actor(Cpd.open("memory://"), "ceo")
    assert str(caught.value).startswith(
        "the store at memory:// holds no trust yet; is the URL right? "
        "(cpd import oneroster FOLDER --db memory://"
    )


def test_passwords_are_not_shown() -> None:
    from cpdcore.cli import shown_url

    assert shown_url("postgresql://cpd:s3cr@t@db.example/cpd") == (
        "postgresql://cpd:***@db.example/cpd"
    )
    assert shown_url("sqlite:///cpd.db") == "sqlite:///cpd.db"


def test_permission_messages_name_the_person(cpd: Cpd) -> None:
    ann = resolve_actor(cpd, "mis-42")
    with pytest.raises(PermissionDenied) as caught:
        cpd.as_actor(ann).add_school("South")
    assert str(caught.value).endswith(f"; Ann Lee ({ann.staff_id}) has none")
    system = Actor(trust_id=TrustId("riverside"), label="nightly job")
    with pytest.raises(PermissionDenied, match=r"; system:nightly job has none$"):
        cpd.as_actor(system).add_school("South")


def test_an_os_error_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import typer

    from cpdcore import cli

    app = typer.Typer()

    @app.command()
    def write() -> None:
        open("/nonexistent-folder/out.json", "w")  # noqa: SIM115 - the failure is the point

    @app.command()
    def other() -> None:
        pass

    monkeypatch.setattr(cli, "build_app", lambda: app)
    monkeypatch.setattr("sys.argv", ["cpd", "write"])
    with pytest.raises(SystemExit) as caught:
        cli.main()
    assert caught.value.code == 1
    assert capsys.readouterr().err == (
        "cpd: error: /nonexistent-folder/out.json: No such file or directory\n"
    )
