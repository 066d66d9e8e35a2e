"""The Python example of the "connect your MIS" how-to runs as written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "how-to" / "connect-your-mis.md"


def test_python_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    assert blocks
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), namespace)


def test_every_file_of_the_spec_has_a_column_reference() -> None:
    from cpdcore_oneroster import spec

    text = PAGE.read_text(encoding="utf-8")
    for file in (spec.MANIFEST, *spec.DATA_FILES):
        assert f"### {file.name}" in text, file.name
        for column in file.columns:
            assert f"`{column}`" in text, (file.name, column)
