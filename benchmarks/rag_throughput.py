"""Benchmark: RAG statuses assessed per second, with full explanations.

A synthetic trust: 200,000 agreed objectives (two criteria each, of mixed units and
directions, one to three milestones), 5 progress points per objective, a released
evidence item for one in three, the shipped England school calendar (holidays and all)
and the default policy. Every status carries its rule results (names, inputs, thresholds,
messages), exactly what a report shows.

Two paths are timed on the same objectives, chunk by chunk and alternately, so that a
change in the machine's load falls on both alike:

* the baseline: ``assess`` called once per objective with the calendar as given (what a
  caller looping over objectives gets);
* the batch path: :class:`~cpdcore.domain.rag.RagAssessor` (``assess_many``), built once
  for the day, policy and calendar.

After each chunk (outside the timed sections) the two lists of statuses are compared for
equality, rule result by rule result, including the order of every rule's inputs; any
difference stops the run. Objectives are generated outside the timed sections too.

The machine is shared, so the load average is printed before and after, and each path is
timed twice: by the wall clock, and by the CPU time of this process
(``time.process_time``), which other work on the machine slows much less. The wall-clock
figure is what a caller waits; the CPU figure is what one core does when it is free.
Run: ``.venv/bin/python benchmarks/rag_throughput.py [N]``.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from cpdcore.calendars import england_default
from cpdcore.domain.cycles import AppraisalCycle, CyclePhase
from cpdcore.domain.evidence import Evidence, EvidenceKind, EvidencePurpose
from cpdcore.domain.identifiers import CycleId, EvidenceId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    Agreement,
    MeasureUnit,
    Milestone,
    MilestoneDone,
    Objective,
    ObjectiveCategory,
    ObjectiveStatus,
    ObjectiveTerms,
    Party,
    SuccessCriterion,
)
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.domain.rag import DEFAULT_POLICY, RagAssessor, RagColour, RagStatus, assess

OBJECTIVES = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
POINTS = 5
CHUNK = 10_000
TARGET = 25_000
AS_OF = date(2027, 2, 10)
AT = datetime(2026, 9, 1, tzinfo=UTC)
T = TrustId("t")
CYCLE = AppraisalCycle(
    id=CycleId("c"),
    trust_id=T,
    name="Appraisal 2026-27",
    academic_year="2026-27",
    starts_on=date(2026, 9, 1),
    ends_on=date(2027, 8, 31),
    phase=CyclePhase.MONITORING,
)
Item = tuple[Objective, list[ProgressUpdate], list[Evidence]]
AGREED = (Agreement(Party.APPRAISEE, "a", AT), Agreement(Party.APPRAISER, "b", AT))


def _criterion(rng: random.Random, code: str) -> SuccessCriterion:
    if rng.random() < 0.2:
        return SuccessCriterion("Done it", MeasureUnit.YES_NO, Decimal(1), Decimal(0), None, code)
    baseline = Decimal(rng.randint(20, 70))
    step = Decimal(rng.randint(5, 25))
    target = baseline - step if rng.random() < 0.3 else baseline + step
    return SuccessCriterion("Measure", MeasureUnit.SCORE, target, baseline, None, code)


def chunk(
    start: int, size: int, rng: random.Random
) -> Iterator[tuple[Objective, list[ProgressUpdate], list[Evidence]]]:
    """``size`` objectives with their progress and evidence, numbered from ``start``."""
    for n in range(start, start + size):
        oid = ObjectiveId(f"o{n}")
        school = SchoolId(f"s{n % 200}")
        person = StaffId(f"p{n // 3}")
        begins = date(2026, 9, 7) + timedelta(days=rng.randint(0, 40))
        due = date(2027, 3, 1) + timedelta(days=rng.randint(0, 100))
        criteria = (_criterion(rng, "c1"), _criterion(rng, "c2"))
        milestones = tuple(
            Milestone(f"step {i}", begins + timedelta(days=rng.randint(20, 200)), f"m{i + 1}")
            for i in range(rng.randint(1, 3))
        )
        objective = Objective(
            id=oid,
            trust_id=T,
            school_id=school,
            cycle_id=CYCLE.id,
            appraisee_id=person,
            terms=ObjectiveTerms(
                title=f"Objective {n}",
                category=ObjectiveCategory.TEACHING_PRACTICE,
                starts_on=begins,
                due_on=due,
                success_criteria=criteria,
                milestones=milestones,
            ),
            status=ObjectiveStatus.IN_PROGRESS,
            agreements=AGREED,
            milestones_done=tuple(
                MilestoneDone(m.code, m.due_on - timedelta(days=2), "a")
                for m in milestones
                if rng.random() < 0.85
            ),
        )
        # Progress roughly on pace (measured in the autumn and spring, with noise), so the
        # colours spread as in a real school rather than piling up in RED.
        progress = []
        for i in range(POINTS):
            criterion = criteria[i % 2]
            measured = begins + timedelta(days=15 + 28 * i + rng.randint(0, 10))
            pace = (measured - begins).days / max(1, (due - begins).days)
            share = min(1.0, max(0.0, pace + rng.uniform(-0.12, 0.15)))
            baseline = criterion.baseline or Decimal(0)
            value = baseline + (criterion.target - baseline) * Decimal(round(share * 100)) / 100
            if criterion.unit is MeasureUnit.YES_NO:
                value = Decimal(1 if share > 0.5 else 0)
            progress.append(
                ProgressUpdate(
                    id=f"u{n}-{i}",
                    trust_id=T,
                    school_id=school,
                    cycle_id=CYCLE.id,
                    objective_id=oid,
                    appraisee_id=person,
                    criterion=criterion.code,
                    measured_on=measured,
                    value=value,
                    recorded_by="a",
                    recorded_at=AT,
                )
            )
        evidence = []
        if n % 3 == 0:
            evidence.append(
                Evidence(
                    id=EvidenceId(f"e{n}"),
                    trust_id=T,
                    school_id=school,
                    owner_id=person,
                    author_id="b",
                    kind=EvidenceKind.OBSERVATION_NOTE,
                    title="Observation",
                    captured_on=begins + timedelta(days=rng.randint(0, 150)),
                    recorded_at=AT,
                    text="Seen",
                    purpose=EvidencePurpose.FORMAL,
                    objective_ids=(oid,),
                    appraisal_evidence=True,
                )
            )
        yield objective, progress, evidence


def same(expected: list[RagStatus], got: list[RagStatus]) -> None:
    """Stop unless ``got`` equals ``expected``, down to the order of each rule's inputs."""
    if expected != got:
        raise AssertionError("the batch path disagrees with assess")
    for a, b in zip(expected, got, strict=True):
        for x, y in zip(a.results, b.results, strict=True):
            if list(x.inputs.items()) != list(y.inputs.items()):
                raise AssertionError(f"inputs differ in order for {a.objective_id} {x.rule}")


def load() -> str:
    """The 1, 5 and 15 minute load averages, for the record."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (on {os.cpu_count()} CPUs)"


@dataclass
class Clock:
    """Wall-clock and CPU seconds spent in one path (CPU: this process only)."""

    wall: float = 0.0
    cpu: float = 0.0

    def time(self, work: Callable[[], list[RagStatus]]) -> list[RagStatus]:
        """Run ``work`` and add what it took."""
        wall, cpu = time.perf_counter(), time.process_time()
        done = work()
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu
        return done


def main() -> None:
    """Time both paths on every chunk, check they agree, print rates and their ratio."""
    calendar = england_default()
    print(f"RAG throughput: {OBJECTIVES:,} objectives x {POINTS} progress points, as of {AS_OF}")
    print(f"  load average before: {load()}")
    rng = random.Random(7)
    base, fast = Clock(), Clock()
    colours = dict.fromkeys(RagColour, 0)
    results = 0
    assessor = RagAssessor(calendar, DEFAULT_POLICY, AS_OF)
    for number, start in enumerate(range(0, OBJECTIVES, CHUNK)):
        batch = list(chunk(start, min(CHUNK, OBJECTIVES - start), rng))

        def baseline(batch: list[Item] = batch) -> list[RagStatus]:
            return [assess(o, p, e, CYCLE, calendar, DEFAULT_POLICY, AS_OF) for o, p, e in batch]

        def batched(batch: list[Item] = batch) -> list[RagStatus]:
            return assessor.assess_many(batch, CYCLE)

        # Alternate which path goes first, so a drift in load favours neither.
        if number % 2:
            got = fast.time(batched)
            expected = base.time(baseline)
        else:
            expected = base.time(baseline)
            got = fast.time(batched)
        same(expected, got)
        for status in got:
            colours[status.colour] += 1
            results += len(status.results)
            if not status.explanation:
                raise AssertionError("a status without an explanation")
    print("  colours: " + ", ".join(f"{c.value} {n:,}" for c, n in colours.items()))
    print(f"  rule results recorded: {results:,} ({results / OBJECTIVES:.2f} per status)")
    print("  batch statuses equal to assess's: all of them")
    print("  objectives/s             wall clock    per CPU second of this process")
    for label, clock in (
        ("assess (baseline)", base),
        ("RagAssessor (batch)", fast),
    ):
        print(
            f"  {label:<20} {OBJECTIVES / clock.wall:>12,.0f} ({clock.wall:5.1f} s)"
            f" {OBJECTIVES / clock.cpu:>12,.0f} ({clock.cpu:5.1f} s)"
        )
    print(
        f"  batch / baseline: {base.wall / fast.wall:.2f}x wall clock, "
        f"{base.cpu / fast.cpu:.2f}x CPU"
    )
    print(f"  load average after: {load()}")
    wall_rate, cpu_rate = OBJECTIVES / fast.wall, OBJECTIVES / fast.cpu
    print(
        f"  target {TARGET:,} objectives/s: batch path "
        f"{'meets' if wall_rate >= TARGET else 'misses'} it by the wall clock, "
        f"{'meets' if cpu_rate >= TARGET else 'misses'} it per CPU second (one core)"
    )


if __name__ == "__main__":
    main()
