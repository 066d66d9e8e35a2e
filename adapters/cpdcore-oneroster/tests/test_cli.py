"""``cpd import oneroster`` and ``cpd staff export`` as an operator runs them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cpdcore import Cpd, PluginNotFound

CPD = [sys.executable, "-m", "cpdcore.cli"]
Write = Callable[..., Path]


def cpd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CPD, *args], capture_output=True, text=True, encoding="utf-8", timeout=300, check=False
    )


def test_import_prints_a_summary_per_file(files: dict[str, str], write: Write) -> None:
    result = cpd("import", "oneroster", str(write(files, bom=True, crlf=True)), "--db", "memory://")
    assert result.returncode == 0, result.stderr
    lines = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    staff = lines["users.csv + roles.csv"].split("│")
    assert [cell.strip() for cell in staff[2:7]] == ["bulk", "7", "0", "0", "0"]
    assert "orgs.csv" in lines and "line_management.csv" in lines


def test_a_broken_export_lists_every_problem_and_exits_non_zero(
    files: dict[str, str], write: Write
) -> None:
    files["roles.csv"] = files["roles.csv"].replace("secondary,teacher", "secundary,teecher")
    files["users.csv"] = files["users.csv"].replace(",false,gprice", ",no,gprice")
    result = cpd("import", "oneroster", str(write(files)), "--db", "memory://")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cpd: the export was not imported: 5 problems" in result.stderr
    for where in (
        "users.csv:6: field 'enabledUser'",
        "roles.csv:5: field 'roleType'",
        "roles.csv:5: field 'role'",
        "roles.csv:10: field 'roleType'",
        "roles.csv:10: field 'role'",
    ):
        assert where in result.stderr


def test_a_missing_folder_is_a_one_line_usage_error(tmp_path: Path) -> None:
    result = cpd("import", "oneroster", str(tmp_path / "nowhere"), "--db", "memory://")
    assert result.returncode == 2
    assert result.stderr == (
        f"cpd: error: {tmp_path / 'nowhere'}: does not exist; give the folder holding "
        "manifest.csv and the CSV files of the OneRoster export\n"
    )
    (tmp_path / "file.csv").write_text("x\n", encoding="utf-8")
    result = cpd("import", "oneroster", str(tmp_path / "file.csv"), "--db", "memory://")
    assert result.returncode == 2
    assert "file.csv: is not a folder; give the folder holding manifest.csv" in result.stderr


def test_a_store_that_is_not_a_database_is_named(
    files: dict[str, str], write: Write, tmp_path: Path
) -> None:
    page = tmp_path / "index.html"
    page.write_text("<html></html>\n", encoding="utf-8")
    try:
        Cpd.open(f"sqlite:///{tmp_path / 'probe.db'}").close()
    except PluginNotFound:
        pytest.skip("cpdcore-sqlalchemy is not installed")
    result = cpd("import", "oneroster", str(write(files)), "--db", f"sqlite:///{page}")
    assert result.returncode == 2
    assert result.stderr.startswith(f"cpd: error: cannot open the store sqlite:///{page}")
    assert "Traceback" not in result.stderr


def test_the_folder_argument_is_described_in_help() -> None:
    result = cpd("import", "oneroster", "--help")
    assert result.returncode == 0
    assert "Folder holding manifest.csv and the CSV files." in result.stdout


def _sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cpd.db'}"
    try:
        Cpd.open(url).close()
    except PluginNotFound:
        pytest.skip("cpdcore-sqlalchemy is not installed")
    return url


def test_import_then_export_the_staff_roster(
    files: dict[str, str], write: Write, make_manifest: Callable[..., str], tmp_path: Path
) -> None:
    url = _sqlite_url(tmp_path)
    roster = {
        "manifest.csv": make_manifest(
            classes="absent", courses="absent", academicSessions="absent", enrollments="absent"
        ),
        "orgs.csv": files["orgs.csv"],
        "users.csv": files["users.csv"],
        "roles.csv": files["roles.csv"],
    }
    imported = cpd("import", "oneroster", str(write(roster, crlf=True)), "--db", url)
    assert imported.returncode == 0, imported.stderr
    result = subprocess.run(
        [*CPD, "staff", "export", "--db", url, "--format", "csv"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert b"\r" not in result.stdout
    assert result.stdout.decode("utf-8") == (
        "sourced_id,school_sourced_id,given_name,family_name,email,roles,active\n"
        "u-na,sch-hb,Ngozi,Adeyemi,nadeyemi@moorland.example,siteAdministrator;teacher,true\n"
        "u-jn,sch-hb,José,Núñez,jnunez@moorland.example,teacher,true\n"
        "u-so,sch-hb,Siobhán,O'Neill,soneill@moorland.example,teacher,true\n"
        "u-gp,sch-hb,Gareth,Price,gprice@moorland.example,teacher,false\n"
        "u-zb,sch-sm,Zoë,Brontë-Smith,zbronte@moorland.example,principal,true\n"
        "u-hd,sch-sm,Harriet,D'Arcy,hdarcy@moorland.example,aide,false\n"
        "u-jn,sch-sm,José,Núñez,jnunez@moorland.example,teacher,true\n"
        "u-am,trust-ml,Ama,Mensah,amensah@moorland.example,districtAdministrator,true\n"
    )
    again = cpd("import", "oneroster", str(write(roster, name="again")), "--db", url)
    assert again.returncode == 0, again.stderr
    assert "Nothing changed" in again.stdout
