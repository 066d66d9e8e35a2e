"""The video-club tutorial runs as written and prints what it says it prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "tutorial" / "video-club.md"
FENCE = re.compile(r"```python\n(.*?)```", re.S)


def test_the_tutorial_runs_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = FENCE.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= 6
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), namespace)
    out = capsys.readouterr().out
    assert "('developmental_review', 'observer')" in out
    assert "True" in out
    assert "() ['" in out  # the withdrawn clip is gone, with its reason
    assert re.search(r"SIP-ORACY\s+club\s+4", out)
    assert re.search(r"SIP-ORACY\s+observation\s+c", out)
