"""The researcher extract: pseudonymised, coarsened and k-anonymous record-level data.

Steps, in order: drop direct identifiers; replace ``person_id`` (and any ``--hash``
columns) by hashes salted with a secret made for this export only and never stored; turn
dates into school terms; merge schools with fewer than k people; if some combination of
the declared quasi-identifiers still covers fewer than k people, coarsen terms to academic
years, then remove the rows that are still in too-small combinations. Before anything is
written, ``pycanon`` must confirm the result is k-anonymous (counting people, not rows).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import attrs

from cpdcore.__about__ import __version__
from cpdcore.aggregation_io import PERSON_COLUMN, read_records
from cpdcore.domain.aggregation.research import (
    MERGED_SCHOOLS,
    pseudonym,
    schools_to_merge,
    term_of,
    undersized,
)
from cpdcore.errors import ConfigurationError, Problem, ValidationError
from cpdcore.extras import require

__all__ = ["DIRECT_IDENTIFIERS", "ExtractResult", "ExtractSpec", "make_extract"]

DIRECT_IDENTIFIERS = frozenset(
    {
        "name",
        "full_name",
        "display_name",
        "given_name",
        "family_name",
        "first_name",
        "last_name",
        "forename",
        "surname",
        "email",
        "phone",
    }
)
"""Columns always dropped from an extract (compared case-insensitively)."""


@attrs.frozen
class ExtractSpec:
    """What the researcher declared: quasi-identifiers, k, and which columns are what."""

    quasi_identifiers: tuple[str, ...]
    k: int = 10
    school_column: str = "school"
    date_columns: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    hash_columns: tuple[str, ...] = ()


@attrs.frozen
class ExtractResult:
    """What was written and what had to be given up for it."""

    rows_written: int
    rows_suppressed: int
    schools_merged: int
    manifest: Mapping[str, Any]


def _no_progress(_step: str) -> None:
    return None


def _terms(frame: Any, column: str, source: str) -> Any:
    def convert(index: Any, text: str) -> str:
        try:
            return term_of(date.fromisoformat(text.strip()[:10]))
        except ValueError:
            raise ValidationError.single(
                f"{source}:{int(index) + 2}",
                f"column {column!r}: {text!r} is not a date (YYYY-MM-DD)",
            ) from None

    return [convert(i, v) for i, v in frame[column].astype(str).items()]


def _people_per_class(frame: Any, quasi: list[str]) -> dict[tuple[str, ...], int]:
    if not quasi:
        return {(): int(frame[PERSON_COLUMN].nunique())}
    counts = frame.groupby(quasi, observed=True)[PERSON_COLUMN].nunique()
    return {(k if isinstance(k, tuple) else (k,)): int(v) for k, v in counts.items()}


def make_extract(
    source: Path,
    out: Path,
    spec: ExtractSpec,
    *,
    progress: Callable[[str], None] = _no_progress,
) -> ExtractResult:
    """Build, verify and write the extract; return what was written and removed."""
    require("pandas", "the research extract")
    anonymity = require("pycanon.anonymity", "verifying k-anonymity")
    if spec.k < 2:
        raise ValidationError.single("--k", f"k must be at least 2, got {spec.k}")
    progress("reading")
    frame = read_records(source)
    quasi = list(spec.quasi_identifiers)
    needed = {PERSON_COLUMN, *quasi, *spec.date_columns, *spec.hash_columns}
    missing = sorted(needed - set(frame.columns))
    if missing:
        raise ValidationError(
            Problem(str(source), f"column {c!r} is not in the input") for c in missing
        )
    dropped = {c for c in frame.columns if c.lower() in DIRECT_IDENTIFIERS} | set(spec.drop)
    if dropped & set(quasi):
        raise ValidationError.single(
            "--quasi", f"{sorted(dropped & set(quasi))} are direct identifiers and are dropped"
        )
    frame = frame.drop(columns=sorted(dropped & set(frame.columns)))
    progress("pseudonymising")
    salt = secrets.token_bytes(32)
    for column in (PERSON_COLUMN, *spec.hash_columns):
        frame[column] = [pseudonym(str(v), salt) for v in frame[column]]
    for column in spec.date_columns:
        frame[column] = _terms(frame, column, str(source))
    merged: frozenset[str] = frozenset()
    if spec.school_column in frame.columns:
        per_school = frame.groupby(spec.school_column)[PERSON_COLUMN].nunique()
        merged = schools_to_merge({str(s): int(n) for s, n in per_school.items()}, spec.k)
        frame[spec.school_column] = [
            MERGED_SCHOOLS if str(s) in merged else str(s) for s in frame[spec.school_column]
        ]
    progress("generalising")
    generalised: list[str] = []
    small = undersized(_people_per_class(frame, quasi), spec.k)
    coarsen = [c for c in spec.date_columns if c in quasi]
    if small and coarsen:
        for column in coarsen:
            frame[column] = [_year_of_term(v) for v in frame[column]]
        generalised = coarsen
        small = undersized(_people_per_class(frame, quasi), spec.k)
    before = len(frame)
    if small and quasi:
        keys = frame[quasi].astype(str).apply(tuple, axis=1)
        frame = frame[~keys.isin(list(small))]
    elif small:
        frame = frame.iloc[0:0]
    suppressed = before - len(frame)
    if len(frame):
        people = frame[[PERSON_COLUMN, *quasi]].drop_duplicates()
        verified = int(anonymity.k_anonymity(people[quasi], quasi)) if quasi else len(people)
        if verified < spec.k:
            raise ConfigurationError(
                f"pycanon finds the extract only {verified}-anonymous; nothing was written"
            )
    else:
        verified = spec.k
    progress("writing")
    if out.suffix.lower() in {".parquet", ".pq"}:
        require("pyarrow", "Parquet output")
        frame.to_parquet(out, index=False)
    else:
        frame.to_csv(out, index=False)
    manifest = {
        "software": f"cpdcore {__version__}",
        "kind": "research extract",
        "k": spec.k,
        "quasi_identifiers": quasi,
        "verified_k_by_pycanon": verified,
        "rows_written": len(frame),
        "rows_suppressed": suppressed,
        "schools_merged": len(merged),
        "generalised_to_academic_year": generalised,
        "dropped_columns": sorted(dropped),
        "pseudonymised_columns": [PERSON_COLUMN, *spec.hash_columns],
        "salt": "random per export, not stored",
    }
    return ExtractResult(len(frame), suppressed, len(merged), manifest)


def _year_of_term(term: str) -> str:
    """``2025-26 autumn`` -> ``2025-26`` (values already years are kept)."""
    return term.split(" ", 1)[0]
