"""The subject access how-to runs as written and prints what it says it prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs/how-to/subject-access-request.md"
FENCE = re.compile(r"```python\n(.*?)```", re.S)


def test_the_how_to_examples_run_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = FENCE.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) == 2
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "{'StaffMember': 1, 'Evidence': 1}"
    assert "'manifest.json'" in out[1] and "'records/Evidence.json'" in out[1]
    assert out[2:] == ["{'Evidence': 1}", "[]"]
