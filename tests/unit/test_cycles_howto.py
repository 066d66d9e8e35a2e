"""The how-to "run an appraisal cycle from a portal" runs as written and says what it shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "run-an-appraisal-cycle.md"
FENCE = re.compile(r"```python\n(.*?)```", re.S)


def test_the_how_to_runs_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {}
    for block in FENCE.findall(PAGE.read_text(encoding="utf-8")):
        exec(compile(block, str(PAGE), "exec"), namespace)
    out = capsys.readouterr().out
    assert "standards[1] -> 'TS9' is not one of TS1" in out
    assert "agreed" in out
    assert "proposed ('title',)" in out
    assert "2 objectives; 3 CPD hours" in out
    html = namespace["html"]
    assert isinstance(html, str)
    assert "What the hinge question showed" in html
