"""End-to-end demo of cpdcore, run by ``make demo``.

Builds a small trust in a store, and writes its outputs to ``demo-output/``.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from cpdcore import Actor, Cpd, Role, RoleAssignment
from cpdcore.clocks import FixedClock
from cpdcore.domain.identifiers import SchoolId, TrustId

OUT = Path(__file__).resolve().parent.parent / "demo-output"


def main() -> int:
    """Run the demo; return the process exit code."""
    started = time.perf_counter()
    OUT.mkdir(exist_ok=True)
    clock = FixedClock(datetime(2026, 9, 1, 8, 0, tzinfo=UTC))
    url = "memory://"
    with Cpd.open(url, clock=clock) as cpd:
        admin = cpd.as_actor(Actor.system(TrustId("riverside"), "demo set-up"))
        admin.set_up_trust("Riverside Learning Trust")
        north = admin.add_school("Northgate Academy", school_id=SchoolId("northgate"))
        south = admin.add_school("Southbank Primary", school_id=SchoolId("southbank"))
        for n in range(12):
            school = north if n % 2 == 0 else south
            admin.add_staff(
                f"Teacher{n + 1}",
                "Demo",
                roles=[RoleAssignment(Role.APPRAISEE, school.id)],
            )
        staff = admin.list_staff().items
        problems = cpd.verify_audit(TrustId("riverside"))
        summary = OUT / "summary.txt"
        summary.write_text(
            f"store: {url}\nschools: 2\nstaff: {len(staff)}\naudit chain intact: {not problems}\n",
            encoding="utf-8",
        )
    elapsed = time.perf_counter() - started
    print(f"cpdcore demo finished in {elapsed:.1f} s")
    print(f"  summary: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
