"""``cpd aggregate`` and ``cpd export research`` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pycanon import anonymity

CPD = [sys.executable, "-c", "from cpdcore.cli import main; main()"]


def write_records(path: Path, people: int = 60) -> Path:
    rags = ["RED", "AMBER", "GREEN", "GREEN"]
    rows = [
        {
            "person_id": f"staff-{i}",
            "name": f"Teacher {i}",
            "school": ["North", "South", "East"][i % 3],
            "department": ["Science", "Maths"][i % 2],
            "rag": rags[(i * 7 + objective) % 4] if i != 5 else "RED",
            "hours": str(i % 9),
            "date": f"2025-{9 + i % 4:02d}-1{objective}",
        }
        for i in range(people)
        for objective in range(2)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def cpd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CPD_LEDGER": str(cwd / "ledger.sqlite3"), "COLUMNS": "120"}
    return subprocess.run(
        [*CPD, *args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )


def test_the_csv_contract(tmp_path: Path) -> None:
    records = write_records(tmp_path / "records.csv")
    result = cpd(
        "aggregate", "--input", str(records), "--by", "school,rag", "--margins",
        "--policy", "k", "--requester", "alice", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["school", "rag", "value", "flag"]
    body = rows[1:]
    assert len(body) == 4 * 4
    for *_key, value, flag in body:
        assert (value == "") == (flag != "")  # withheld: empty value and a symbol
        assert flag in {"", "c"}
        if value:
            assert int(value) >= 10
    assert ["All", "All", "60", ""] in body
    manifest = json.loads((tmp_path / "cpd-output.manifest.json").read_text())
    assert manifest["policy"]["name"] == "k"
    assert manifest["counts"]["cells"] == 16


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_json_and_parquet_outputs_have_a_manifest_next_to_them(tmp_path: Path, fmt: str) -> None:
    records = write_records(tmp_path / "records.csv")
    out = tmp_path / f"table.{fmt}"
    result = cpd(
        "aggregate", "--input", str(records), "--by", "department", "--format", fmt,
        "--out", str(out), "--requester", "bob", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = json.loads(out.read_text())["rows"] if fmt == "json" else pd.read_parquet(out)
    assert len(table) == 2
    manifest = json.loads((tmp_path / f"table.{fmt}.manifest.json").read_text())
    assert manifest["software"].startswith("cpdcore ")
    assert manifest["query"]["by"] == ["department"]


def test_bad_input_exits_non_zero_and_names_the_column(tmp_path: Path) -> None:
    records = write_records(tmp_path / "records.csv")
    result = cpd("aggregate", "--input", str(records), "--by", "colour", cwd=tmp_path)
    assert result.returncode == 1
    assert "colour" in result.stderr


def test_a_differencing_query_is_refused_without_any_number(tmp_path: Path) -> None:
    records = write_records(tmp_path / "records.csv")
    first = cpd(
        "aggregate", "--input", str(records), "--by", "rag", "--where", "school=North",
        "--requester", "eve", cwd=tmp_path,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    frame = pd.read_csv(records, dtype=str)
    frame[frame.person_id != "staff-0"].to_csv(tmp_path / "minus-one.csv", index=False)
    second = cpd(
        "aggregate", "--input", str(tmp_path / "minus-one.csv"), "--by", "rag",
        "--where", "school=North", "--requester", "eve", cwd=tmp_path,
    )  # fmt: skip
    assert second.returncode == 3
    assert "refused" in second.stderr
    assert not re.search(r"\d", second.stderr)
    assert second.stdout == ""


def test_a_sqlite_table_is_grouped_in_the_database_with_the_same_answer(tmp_path: Path) -> None:
    records = write_records(tmp_path / "records.csv")
    with sqlite3.connect(tmp_path / "data.db") as conn:
        pd.read_csv(records, dtype=str).to_sql("records", conn, index=False)
    common = ["--by", "school,department", "--margins", "--policy", "dfe"]
    from_file = cpd("aggregate", "--input", str(records), *common, "--requester", "f", cwd=tmp_path)
    url = f"sqlite:///{tmp_path / 'data.db'}?table=records"
    from_sql = cpd("aggregate", "--input", url, *common, "--requester", "s", cwd=tmp_path)
    assert from_sql.returncode == 0, from_sql.stderr
    assert from_sql.stdout == from_file.stdout


def test_hesa_withholds_small_percentages_with_its_own_symbol(tmp_path: Path) -> None:
    records = write_records(tmp_path / "records.csv")
    result = cpd(
        "aggregate", "--input", str(records), "--by", "school", "--measure", "pct:rag=RED",
        "--policy", "hesa", "--requester", "h", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
    assert all(flag == ".." and value == "" for _s, value, flag in rows)  # 20 people each


def test_dp_needs_declared_keys(tmp_path: Path) -> None:
    records = write_records(tmp_path / "records.csv")
    refused = cpd(
        "aggregate", "--input", str(records), "--by", "rag", "--dp", "epsilon=1.0", cwd=tmp_path
    )
    assert refused.returncode == 1
    assert "--keys" in refused.stderr
    answered = cpd(
        "aggregate", "--input", str(records), "--by", "rag", "--dp", "epsilon=1.0",
        "--keys", "rag=RED,AMBER,GREEN", "--requester", "d", cwd=tmp_path,
    )  # fmt: skip
    assert answered.returncode == 0, answered.stderr
    manifest = json.loads((tmp_path / "cpd-output.manifest.json").read_text())
    assert manifest["differential_privacy"]["epsilon"] == 1.0


def test_the_research_extract_is_pseudonymised_and_k_anonymous(tmp_path: Path) -> None:
    records = write_records(tmp_path / "records.csv", people=90)
    out = tmp_path / "extract.csv"
    result = cpd(
        "export", "research", "--input", str(records), "--out", str(out),
        "--quasi", "school,department,date", "--dates", "date", "--k", "10", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    extract = pd.read_csv(out, dtype=str)
    assert "name" not in extract.columns
    assert not extract.person_id.str.startswith("staff-").any()
    assert set(extract.date) <= {"2025-26 autumn", "2025-26"}
    people = extract[["person_id", "school", "department", "date"]].drop_duplicates()
    assert anonymity.k_anonymity(people, ["school", "department", "date"]) >= 10
    manifest = json.loads((tmp_path / "extract.csv.manifest.json").read_text())
    assert manifest["verified_k_by_pycanon"] >= 10
    assert "rows removed" in result.stderr


@pytest.mark.postgres
def test_a_postgresql_table_is_grouped_in_the_database(tmp_path: Path, postgres_url: str) -> None:
    import psycopg

    records = write_records(tmp_path / "records.csv")
    frame = pd.read_csv(records, dtype=str)
    table = f"cpd_e2e_aggregate_{os.getpid()}"
    with psycopg.connect(postgres_url) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (person_id text, school text, rag text, hours int)")
        with cur.copy(f"COPY {table} FROM STDIN") as copy:
            for row in frame[["person_id", "school", "rag", "hours"]].itertuples(index=False):
                copy.write_row(row)
        conn.commit()
    try:
        common = ["--by", "school,rag", "--margins", "--measure", "sum:hours", "--policy", "k:5"]
        from_file = cpd(
            "aggregate", "--input", str(records), *common, "--requester", "f", cwd=tmp_path
        )
        url = f"{postgres_url}?table={table}"
        from_sql = cpd("aggregate", "--input", url, *common, "--requester", "p", cwd=tmp_path)
        assert from_sql.returncode == 0, from_sql.stderr
        assert from_sql.stdout == from_file.stdout
    finally:
        with psycopg.connect(postgres_url) as conn:
            conn.execute(f"DROP TABLE {table}")
