"""The Python examples in the README and the tutorial run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"```python\n(.*?)```", re.S)


def blocks(path: Path) -> list[str]:
    return FENCE.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", ["README.md", "docs/tutorial/embed-in-a-portal.md"])
def test_code_blocks_run_in_order(page: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = blocks(ROOT / page)
    assert code, f"{page} has no python examples"
    namespace: dict[str, object] = {}
    for block in code:
        exec(compile(block, page, "exec"), namespace)
    if page.endswith("embed-in-a-portal.md"):
        out = capsys.readouterr().out
        assert "needs the role administrator or trust_leader" in out
        assert "notify: school.created northgate" in out
