"""Agreement of the SMART validator with the labelled development set, and its speed.

Run: ``.venv/bin/python benchmarks/smart_agreement.py [FILE.csv]`` (default: the dev set in
``tests/data``). Prints overall agreement, three-way agreement per letter, the share of rows
with all five letters right, and the mean time per objective (targets: 96 %, 92 %, 85 %,
< 5 ms). The baseline in the same run is a validator that answers the most common label for
every letter, so the ratio shows what the rules add.
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

from cpdcore.calendars import england_default
from cpdcore.domain.smart import Letter, SmartContext, assess

DEV_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "smart_objectives_dev.csv"
LETTERS = [letter.value for letter in Letter]


def context_for(row: dict[str, str], calendar: object) -> SmartContext:
    """The context a row describes (cycle dates and linked codes)."""

    def day(value: str) -> date | None:
        return date.fromisoformat(value) if value.strip() else None

    return SmartContext(
        cycle_start=day(row.get("cycle_start", "")),
        cycle_end=day(row.get("cycle_end", "")),
        calendar=calendar,  # type: ignore[arg-type]
        sip_priorities=tuple(row.get("linked_sip", "").split(";")),
        standards=tuple(row.get("linked_standards", "").split(";")),
    )


def main(path: Path) -> dict[str, float]:
    """Print and return the agreement figures for the labelled CSV at ``path``."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    calendar = england_default()
    contexts = [context_for(row, calendar) for row in rows]
    timings: list[float] = []
    results = []
    for _round in range(5):
        started = time.perf_counter()
        results = [assess(row["text"], ctx) for row, ctx in zip(rows, contexts, strict=True)]
        timings.append((time.perf_counter() - started) * 1000 / len(rows))
    per_letter = {
        letter: sum(
            r[letter].verdict.value == row[letter] for r, row in zip(results, rows, strict=True)
        )
        / len(rows)
        for letter in LETTERS
    }
    overall = sum(r.overall.value == row["overall"] for r, row in zip(results, rows, strict=True))
    all_five = sum(
        all(r[letter].verdict.value == row[letter] for letter in LETTERS)
        for r, row in zip(results, rows, strict=True)
    )
    # Baseline: always answer the most common label of each letter and of overall.
    common = {
        k: Counter(row[k] for row in rows).most_common(1)[0][0] for k in [*LETTERS, "overall"]
    }
    baseline_overall = sum(row["overall"] == common["overall"] for row in rows) / len(rows)
    figures = {
        "overall": overall / len(rows),
        **{f"letter_{k}": val for k, val in per_letter.items()},
        "all_five": all_five / len(rows),
        "ms_per_objective": statistics.median(timings),
    }
    print(f"rows: {len(rows)} from {path.name}")
    print(
        f"overall agreement: {figures['overall']:.1%} (target >= 96%); "
        f"most-common-label baseline {baseline_overall:.1%}, "
        f"ratio {figures['overall'] / baseline_overall:.2f}x"
    )
    for letter in LETTERS:
        print(f"  {letter}: {per_letter[letter]:.1%} (target >= 92%)")
    print(f"all five letters right: {figures['all_five']:.1%} (target >= 85%)")
    print(
        f"mean time per objective: {figures['ms_per_objective']:.3f} ms "
        f"(median of 5 rounds over {len(rows)} rows; target < 5 ms)"
    )
    if "-v" in sys.argv:
        for r, row in zip(results, rows, strict=True):
            wrong = [k for k in LETTERS if r[k].verdict.value != row[k]]
            if wrong:
                print(f"\n{row['id']}: {row['text']}")
                for k in wrong:
                    print(f"   {k}: got {r[k].verdict.value} want {row[k]}  {r[k].explanation}")
    return figures


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    main(Path(args[0]) if args else DEV_SET)
