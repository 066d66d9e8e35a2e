"""The cpd console script as a newcomer meets it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cpdcore

CPD = [sys.executable, "-m", "cpdcore.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CPD, *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"cpdcore {cpdcore.__version__}"


def test_doctor_lists_plugins_and_schemes() -> None:
    result = run("doctor")
    assert result.returncode == 0, result.stderr
    assert "cpdcore.memory" in result.stdout
    assert "memory://" in result.stdout


def test_missing_store_is_a_one_line_error_without_traceback(tmp_path: Path) -> None:
    result = run("staff", "list", env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 2
    assert "pass --db URL or set CPD_DB" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_store_scheme_names_the_providers() -> None:
    result = run("staff", "list", "--db", "nosuch://x", "--as", "t:s")
    assert result.returncode == 2
    assert "sqlite:// is provided by cpdcore-sqlalchemy" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "doctor" in result.stdout
    assert "staff" in result.stdout
