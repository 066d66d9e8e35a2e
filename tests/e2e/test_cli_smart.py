"""``cpd smart check`` as a user runs it, including a plugin installed by entry point."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CPD = [sys.executable, "-c", "from cpdcore.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[2]
DEV_SET = ROOT / "tests" / "data" / "smart_objectives_dev.csv"


def cpd(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CPD, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=False,
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_csv_contract_on_the_dev_set(tmp_path: Path) -> None:
    result = cpd("smart", "check", str(DEV_SET), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:7] == ["id", "overall", "S", "M", "A", "R", "T"]
    assert len(rows) == 120
    with DEV_SET.open(encoding="utf-8") as handle:
        expected = {r["id"]: r for r in csv.DictReader(handle)}
    agree = sum(r["overall"] == expected[r["id"]]["overall"] for r in rows)
    assert agree / len(rows) >= 0.96
    assert rows[2]["id"] == "dev-003"
    assert rows[2]["overall"] == "NOT_SMART"
    assert "S-vague-aspiration" in rows[2]["reason_S"]


def test_exit_zero_whatever_the_verdicts_and_extra_columns_ignored(tmp_path: Path) -> None:
    source = write(
        tmp_path / "objectives.csv",
        'id,teacher,text\n1,Ms A,Improve my teaching.\n2,Mr B,"Lose weight."\n',
    )
    result = cpd("smart", "check", str(source), cwd=tmp_path)
    assert result.returncode == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["id"], r["overall"], r["R"]) for r in rows] == [
        ("1", "NOT_SMART", "WARN"),
        ("2", "NOT_SMART", "FAIL"),
    ]


def test_json_gives_the_full_explanations(tmp_path: Path) -> None:
    source = write(
        tmp_path / "o.csv",
        "id,text,linked_standards\nx,Finish the Year 9 scheme by 30/09/2027.,TS3\n",
    )
    result = cpd(
        "smart", "check", str(source), "--format", "json",
        "--cycle-start", "01/09/2026", "--cycle-end", "2027-07-31",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    t = row["letters"]["T"]
    assert (t["verdict"], t["rule"]) == ("WARN", "T-after-cycle")
    assert t["span"]["text"] == "30/09/2027"
    assert "after the cycle ends on 31/07/2027" in t["suggestion"]
    assert row["letters"]["R"]["verdict"] == "PASS"


def test_row_dates_win_over_the_options_and_no_dates_only_need_a_reference(
    tmp_path: Path,
) -> None:
    source = write(
        tmp_path / "o.csv",
        "id,text,cycle_start,cycle_end\n"
        "a,Use it with Year 9 by 31 August 2027.,2026-09-01,2027-07-31\n"
        "b,Use it with Year 9 by 31 August 2027.,,\n",
    )
    with_options = cpd(
        "smart", "check", str(source), "--cycle-start", "2026-09-01", "--cycle-end", "2027-08-31",
        cwd=tmp_path,
    )  # fmt: skip
    verdicts = [r["T"] for r in csv.DictReader(io.StringIO(with_options.stdout))]
    assert verdicts == ["WARN", "PASS"]
    without = cpd("smart", "check", str(source), cwd=tmp_path)
    verdicts = [r["T"] for r in csv.DictReader(io.StringIO(without.stdout))]
    assert verdicts == ["WARN", "PASS"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,objective\n1,Improve\n", "o.csv:1: missing column(s) text"),
        (
            "id,text,cycle_start\n1,ok,2026-09-01\n2,ok,2027-13-01\n",
            "o.csv:3: column cycle_start: '2027-13-01' is not a date",
        ),
        ("id,text,cycle_end\n1,ok,31/02/2027\n", "o.csv:2: column cycle_end"),
        (
            "id,text,cycle_start,cycle_end\n1,ok,2027-09-01,2027-07-31\n",
            "o.csv:2: cycle_end 2027-07-31 is before cycle_start",
        ),
        ("id,text\n1,ok,extra\n", "o.csv:2: the row does not have the 2 fields"),
    ],
)
def test_bad_csv_exits_1_names_the_line_and_writes_nothing(
    tmp_path: Path, content: str, message: str
) -> None:
    result = cpd("smart", "check", str(write(tmp_path / "o.csv", content)), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"cpd: error: {message}")


def test_bad_options_exit_2(tmp_path: Path) -> None:
    source = write(tmp_path / "o.csv", "id,text\n1,ok\n")
    result = cpd("smart", "check", str(source), "--cycle-start", "soon", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert "--cycle-start" in result.stderr
    result = cpd("smart", "check", str(source), "--format", "xml", cwd=tmp_path)
    assert result.returncode == 2
    assert "accepted: csv, json" in result.stderr
    missing = cpd("smart", "check", str(tmp_path / "nope.csv"), cwd=tmp_path)
    assert (missing.returncode, missing.stdout) == (2, "")
    assert (
        missing.stderr
        == f"cpd: error: {tmp_path / 'nope.csv'}: the objectives file does not exist\n"
    )
    no_calendar = cpd("smart", "check", str(source), "--calendar", "nope.json", cwd=tmp_path)
    assert (no_calendar.returncode, no_calendar.stdout) == (2, "")
    assert no_calendar.stderr == (
        "cpd: error: nope.json: the calendar file (--calendar) does not exist\n"
    )


def test_a_file_that_is_not_utf8_is_named_not_a_traceback(tmp_path: Path) -> None:
    source = tmp_path / "latin1.csv"
    source.write_bytes("id,text\n1,Améliorer la lecture\n".encode("latin-1"))
    result = cpd("smart", "check", str(source), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert "latin1.csv: is not UTF-8 text" in result.stderr
    assert "Traceback" not in result.stderr


def test_cycle_dates_take_the_uk_forms(tmp_path: Path) -> None:
    source = write(tmp_path / "o.csv", "id,text\n1,Raise reading ages by July 2027\n")
    result = cpd(
        "smart", "check", str(source), "--cycle-start", "01/09/2026", "--cycle-end",
        "31 July 2027", "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_help_shows_what_file_is(tmp_path: Path) -> None:
    shown = cpd("smart", "check", "--help", cwd=tmp_path)
    assert shown.returncode == 0
    assert "CSV file with columns id,text" in " ".join(shown.stdout.split())


def test_an_installed_plugin_check_merges_and_is_named(tmp_path: Path) -> None:
    # Install examples/smart_plugin.py as a real plugin: a module plus dist-info with an
    # entry point in the cpdcore group, found through PYTHONPATH.
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(ROOT / "examples" / "smart_plugin.py", site / "our_school_smart.py")
    info = site / "our_school_smart-1.0.dist-info"
    info.mkdir()
    write(info / "METADATA", "Metadata-Version: 2.1\nName: our-school-smart\nVersion: 1.0\n")
    write(info / "entry_points.txt", "[cpdcore]\nour-school = our_school_smart\n")
    source = write(
        tmp_path / "o.csv",
        "id,text\n"
        "a,Deliver three CPD sessions on retrieval practice by Easter.\n"
        "b,Use cold calling in 4 of 6 observed Year 9 lessons by Easter.\n",
    )
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    result = cpd(
        "smart", "check", str(source), "--format", "json", cwd=tmp_path,
        env={"PYTHONPATH": path},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    first, second = json.loads(result.stdout)
    assert first["letters"]["S"]["verdict"] == "FAIL"
    assert first["letters"]["S"]["source"] == "names-pupil-group"
    assert "from plugin names-pupil-group" in first["letters"]["S"]["explanation"]
    assert first["overall"] == "NOT_SMART"
    assert second["letters"]["S"]["source"] == "cpdcore"


def test_the_example_plugin_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "smart_plugin.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "from plugin names-pupil-group" in result.stdout
    assert "SMART -> NOT_SMART" in result.stdout
