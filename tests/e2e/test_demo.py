"""``make demo`` end to end: it finishes quickly and writes a faithful review pack."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "demo-output"


class _Tags(HTMLParser):
    """Collects the tags and attributes of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def demo_run() -> subprocess.CompletedProcess[str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert time.perf_counter() - started < 60, "the demo must finish within 60 seconds"
    return result


def test_demo_succeeds_and_says_where_its_outputs_are(
    demo_run: subprocess.CompletedProcess[str],
) -> None:
    assert demo_run.returncode == 0, demo_run.stderr
    assert "review-pack-amira.html" in demo_run.stdout
    assert "review-pack-amira.json" in demo_run.stdout


def test_json_pack_has_the_agreed_objectives_and_only_released_evidence(
    demo_run: subprocess.CompletedProcess[str],
) -> None:
    pack = json.loads((OUT / "review-pack-amira.json").read_text(encoding="utf-8"))
    assert pack["schema_version"] == 1
    assert pack["phase"] == "mid_year_review"
    assert len(pack["objectives"]) == 2
    assert {o["status"] for o in pack["objectives"]} == {"in_progress"}
    titles = {e["title"] for o in pack["objectives"] for e in o["evidence"]}
    assert "Peer observation: questioning in 9X2" in titles
    every = json.dumps(pack)
    assert "Private notes" not in every
    assert pack["cpd"]["total_hours"] == "12.5"
    summary = (OUT / "summary.txt").read_text(encoding="utf-8")
    assert "staff: 12" in summary
    assert "audit chain intact: True" in summary


def test_html_pack_is_self_contained_and_accessible(
    demo_run: subprocess.CompletedProcess[str],
) -> None:
    html = (OUT / "review-pack-amira.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(html)
    tags = parser.tags
    names = [t for t, _ in tags]
    assert names.count("h1") == 1
    assert "h2" in names
    assert "h3" in names
    assert not [t for t, a in tags if t in {"script", "link", "img", "iframe"}]
    header_cells = [a for t, a in tags if t == "th"]
    assert header_cells
    assert all(a.get("scope") in {"col", "row"} for a in header_cells)
    assert ("html", {"lang": "en-GB"}) in tags
    assert "@media print" in html
    assert "Private notes" not in html
