"""What every ``cpd`` command promises (docs/reference/cli.md): one-line errors, exit 2 for
a command line that must change and 1 for a command that ran and failed, the same
``--format`` message everywhere, ``--as``/``CPD_ACTOR`` for the acting person, and a
store that must exist before anything is read from it.

Commands run through ``cpdcore.cli.main`` in this process (as the console script does,
minus the interpreter start), against a SQLite store made once for the module.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from cpdcore import Actor, Cpd, Role, RoleAssignment
from cpdcore.cli import main
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId

T = TrustId("riverside")
NORTH, SOUTH = SchoolId("north"), SchoolId("south")
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'cpd.db'}"
    with Cpd.open(url) as cpd:
        admin = cpd.as_actor(Actor.system(T, "set-up"))
        admin.set_up_trust("Riverside Learning Trust")
        admin.add_school("Northgate Academy", school_id=NORTH)
        admin.add_school("Southbank Primary", school_id=SOUTH)
        people = [
            ("ceo", "Ruth", "Ashworth", [RoleAssignment(Role.TRUST_LEADER)]),
            ("nhead", "Émile", "Durand", [RoleAssignment(Role.SCHOOL_LEADER, NORTH)]),
            ("t1", "Zoë", "Zola", [RoleAssignment(Role.APPRAISEE, NORTH)]),
            ("t2", "amy", "adams", [RoleAssignment(Role.APPRAISEE, NORTH)]),
            ("t3", "Seán", "Ó Briain", [RoleAssignment(Role.APPRAISEE, NORTH)]),
            ("t4", "Ann", "de Souza", [RoleAssignment(Role.APPRAISEE, NORTH)]),
            ("t5", "Bob", "Dean", [RoleAssignment(Role.APPRAISEE, NORTH)]),
            ("t6", "Édith", "Abbott", [RoleAssignment(Role.APPRAISEE, SOUTH)]),
        ]
        for staff_id, given, family, roles in people:
            admin.add_staff(given, family, staff_id=StaffId(staff_id), roles=roles)
    return url


@pytest.fixture
def cpd(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run ``cpd ARGS``; returns (exit status, stdout, stderr)."""
    monkeypatch.delenv("CPD_DB", raising=False)
    monkeypatch.delenv("CPD_ACTOR", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # rich tables unwrapped

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr("sys.argv", ["cpd", *args])
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _one_line_error(err: str) -> str:
    assert err.startswith("cpd: error: "), err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err.strip().removeprefix("cpd: error: ")


# --format: one message, one exit status ---------------------------------------------------
@pytest.mark.parametrize(
    ("command", "accepted"),
    [
        (["staff", "list", "--as", "ceo"], "table, csv, json"),
        (["staff", "export"], "csv"),
        (["rag", "report", "--as-of", "2027-02-10", "--as", "ceo"], "csv, json"),
    ],
)
def test_a_format_that_is_not_accepted_is_the_same_usage_error_everywhere(
    cpd: Run, store_url: str, command: list[str], accepted: str
) -> None:
    code, out, err = cpd(*command, "--db", store_url, "--format", "xml")
    assert (code, out) == (2, "")
    assert _one_line_error(err) == f"--format: 'xml' is not accepted; accepted: {accepted}"


def test_smart_check_gives_the_same_format_error(cpd: Run, tmp_path: Path) -> None:
    source = tmp_path / "o.csv"
    source.write_text("id,text\n1,ok\n", encoding="utf-8")
    code, _out, err = cpd("smart", "check", str(source), "--format", "xml")
    assert code == 2
    assert _one_line_error(err) == "--format: 'xml' is not accepted; accepted: csv, json"


# staff list -----------------------------------------------------------------------------
def test_staff_list_as_csv_json_and_table(cpd: Run, store_url: str) -> None:
    code, out, err = cpd("staff", "list", "--db", store_url, "--as", "ceo", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 8
    assert {"id": "t3", "given_name": "Seán", "family_name": "Ó Briain"}.items() <= rows[
        [r["id"] for r in rows].index("t3")
    ].items()
    assert rows[[r["id"] for r in rows].index("nhead")]["roles"] == "school_leader@north"
    code, out, _err = cpd("staff", "list", "--db", store_url, "--as", "ceo", "--format", "json")
    people = {p["id"]: p for p in json.loads(out)}
    assert people["t6"]["schools"] == ["south"]
    assert people["ceo"]["roles"] == [{"role": "trust_leader", "school_id": None}]
    code, out, _err = cpd("staff", "list", "--db", store_url, "--as", "ceo", "--school", "south")
    assert code == 0
    assert "Édith Abbott" in out and "Zola" not in out


@pytest.mark.parametrize("command", [["staff", "list"], ["rag", "report", "--as-of", "1/2/2027"]])
def test_an_unknown_school_names_the_schools(cpd: Run, store_url: str, command: list[str]) -> None:
    code, out, err = cpd(*command, "--db", store_url, "--as", "ceo", "--school", "west")
    assert (code, out) == (2, "")
    assert _one_line_error(err) == (
        "--school: 'west' is not a school of this trust; accepted: "
        "north (Northgate Academy), south (Southbank Primary)"
    )


# staff export ----------------------------------------------------------------------------
def test_staff_export_orders_names_as_a_reader_looks_them_up(cpd: Run, store_url: str) -> None:
    code, out, err = cpd("staff", "export", "--db", store_url)
    assert code == 0, err
    rows = [(r["school_sourced_id"], r["family_name"]) for r in csv.DictReader(io.StringIO(out))]
    assert rows == [
        ("north", "adams"),
        ("north", "Dean"),
        ("north", "de Souza"),
        ("north", "Durand"),
        ("north", "Ó Briain"),
        ("north", "Zola"),
        ("riverside", "Ashworth"),
        ("south", "Abbott"),
    ]


def test_staff_export_acts_as_the_person_given(
    cpd: Run, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_leader = cpd("staff", "export", "--db", store_url, "--as", "ceo")
    assert by_leader[0] == 0, by_leader[2]
    assert by_leader[1] == cpd("staff", "export", "--db", store_url)[1]
    assert by_leader[1] == cpd("staff", "export", "--db", store_url, "--trust", "riverside")[1]
    code, out, err = cpd("staff", "export", "--db", store_url, "--as", "t1")
    assert (code, out) == (1, "")
    assert _one_line_error(err) == (
        "exporting the staff roster needs the role administrator or school_leader or "
        "trust_leader across the trust; Zoë Zola (t1) has none"
    )
    monkeypatch.setenv("CPD_ACTOR", "riverside:t1")
    assert cpd("staff", "export", "--db", store_url)[0] == 1  # CPD_ACTOR is honoured
    both = cpd("staff", "export", "--db", store_url, "--as", "ceo", "--trust", "riverside")
    assert both[0] == 2
    assert _one_line_error(both[2]) == "--trust: give either --as or --trust, not both"


# rag report ------------------------------------------------------------------------------
@pytest.mark.parametrize("day", ["2027-02-10", "10/02/2027", "10 February 2027"])
def test_rag_report_takes_the_usual_date_forms(cpd: Run, store_url: str, day: str) -> None:
    code, out, err = cpd(
        "rag", "report", "--db", store_url, "--as", "ceo", "--as-of", day, "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out)["as_of"] == "2027-02-10"


def test_rag_report_says_which_dates_it_takes(cpd: Run, store_url: str) -> None:
    code, _out, err = cpd("rag", "report", "--db", store_url, "--as", "ceo", "--as-of", "soon")
    assert code == 2
    assert _one_line_error(err) == (
        "--as-of: 'soon' is not a date; write it as YYYY-MM-DD, DD/MM/YYYY or e.g. 31 March 2027"
    )


def test_a_school_leader_is_pointed_to_school(cpd: Run, store_url: str) -> None:
    code, out, err = cpd(
        "rag", "report", "--db", store_url, "--as", "nhead", "--as-of", "2027-02-10"
    )
    assert (code, out) == (1, "")
    message = _one_line_error(err)
    assert "the trust's RAG report needs the role trust_leader" in message
    assert "Émile Durand (nhead) has none" in message
    assert message.endswith("for your school's report pass --school north")
    code, out, err = cpd(
        "rag", "report", "--db", store_url, "--as", "nhead", "--as-of", "2027-02-10",
        "--school", "north",
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("school_id,appraisee_id")


# the store and the acting person --------------------------------------------------------
def test_a_missing_sqlite_file_is_not_created(cpd: Run, tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    code, _out, err = cpd("staff", "list", "--db", f"sqlite:///{path}", "--as", "ceo")
    assert code == 2
    assert _one_line_error(err).startswith(
        f"no store at sqlite:///{path}: the file {path} does not exist; is the URL right?"
    )
    assert not path.exists()


def test_an_empty_store_says_so(cpd: Run) -> None:
    code, _out, err = cpd("staff", "list", "--db", "memory://", "--as", "ceo")
    assert code == 2
    assert _one_line_error(err).startswith(
        "the store at memory:// holds no trust yet; is the URL right? (cpd import oneroster"
    )


def test_unknown_commands_and_options_exit_2(cpd: Run, store_url: str) -> None:
    assert cpd("staff", "lst")[0] == 2
    assert cpd("staff", "list", "--db", store_url, "--colour")[0] == 2


# help ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("command", "text"),
    [
        (["clubs", "playlist"], "Session id (see cpd clubs sessions)."),
        (["smart", "check"], "CSV file with columns id,text"),
        (["import", "oneroster"], "Folder holding manifest.csv and the CSV files."),
        (["export", "research"], "Column naming each record's school"),
        (["staff", "export"], "Acting staff id or MIS sourced id"),
    ],
)
def test_help_describes_arguments_and_options(cpd: Run, command: list[str], text: str) -> None:
    code, out, _err = cpd(*command, "--help")
    assert code == 0
    assert text in " ".join(re.sub(r"[│╭╮╰╯─]", " ", out).split())


# the reference page ----------------------------------------------------------------------
def test_the_reference_page_lists_every_command_and_option() -> None:
    import click
    import typer.main

    from cpdcore.cli import build_app

    page = (Path(__file__).resolve().parents[2] / "docs" / "reference" / "cli.md").read_text(
        encoding="utf-8"
    )
    missing = []

    def walk(command: click.Command, path: str) -> None:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}")
            return
        if f"`{path}" not in page:
            missing.append(path)
        options = [o for p in command.params for o in getattr(p, "opts", [])]
        missing.extend(
            f"{path} {o}" for o in options if o.startswith("--") and not re.search(f"`{o}\\b", page)
        )

    walk(typer.main.get_command(build_app()), "cpd")
    assert missing == []
