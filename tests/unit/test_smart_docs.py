"""The SMART how-to's Python examples run as written, and its before/after table holds."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from cpdcore.calendars import england_default
from cpdcore.domain.smart import SmartContext, assess

ROOT = Path(__file__).resolve().parents[2]
HOW_TO = ROOT / "docs" / "how-to" / "write-smart-objectives.md"
FENCE = re.compile(r"```python\n(.*?)```", re.S)


def test_python_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = FENCE.findall(HOW_TO.read_text(encoding="utf-8"))
    assert len(blocks) == 2
    for block in blocks:
        exec(compile(block, str(HOW_TO), "exec"), {})
    out = capsys.readouterr().out
    assert "T-after-cycle" in out
    assert "from plugin no-acronym-soup" in out


CONTEXT = SmartContext(
    cycle_start=date(2026, 9, 1),
    cycle_end=date(2027, 7, 31),
    calendar=england_default(),
    sip_priorities=("SIP-1",),
    standards=("TS2",),
)


@pytest.mark.parametrize(
    ("before", "letter", "rule"),
    [
        ("Improve my teaching.", "S", "S-vague-aspiration"),
        ("Make my Year 8 history lessons more engaging.", "S", "S-generic-action"),
        (
            "Embed think-pair-share in Year 5 maths, monitored through book looks.",
            "M",
            "M-measure-without-target",
        ),
        (
            "Increase Year 8 science test passes from 15% to 85% by July 2027.",
            "A",
            "A-change-over-60-points",
        ),
        ("Finish moderation for 24 candidates by 07/09/2027.", "T", "T-after-cycle"),
        ("Run a half marathon in under two hours by April 2027.", "R", "R-personal-goal"),
    ],
)
def test_the_before_column_says_what_the_page_claims(before: str, letter: str, rule: str) -> None:
    assert assess(before, CONTEXT)[letter].rule == rule


def test_the_after_examples_are_smart() -> None:
    for after in [
        "By the end of the spring term, use cold calling in at least 4 of 6 observed Year 9 "
        "science lessons so that at least 75% of pupils answer the hinge question correctly.",
        "Start every Year 8 history lesson with a 5-question retrieval quiz, and raise the "
        "average end-of-unit score from 58% to 66% by February half term.",
    ]:
        assert assess(after, CONTEXT).overall.value == "SMART", after
