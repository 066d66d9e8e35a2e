"""An example RAG rule plugin: "no CPD logged against the objective this term".

Install it under the ``cpdcore`` entry-point group of your distribution::

    [project.entry-points.cpdcore]
    no_cpd_logged = "rag_rule_plugin"

or pass it to ``Cpd.open(url, plugins=[rag_rule_plugin])``. The rule reads only the
:class:`~cpdcore.domain.rag.RagFacts` it is given (no clock, no store), so its verdict is
recomputed identically for any past day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from cpdcore.domain.evidence import EvidenceKind
from cpdcore.domain.rag import Effect, RagColour, RagFacts, RagRule, RuleOutcome
from cpdcore.hookspecs import hookimpl

__all__ = ["QuietCertificates", "cpdcore_rag_rules"]


class QuietCertificates:
    """At least AMBER when no certificate or observation note was released for the
    objective in the last ``weeks`` weeks, once the objective is ``after`` school days old.
    """

    name = "no_cpd_logged"

    def __init__(self, weeks: int = 10, after: int = 30) -> None:
        self.weeks = weeks
        self.after = after

    def evaluate(self, facts: RagFacts) -> RuleOutcome | None:
        """Worsen to AMBER when the objective has gone quiet on CPD; else say nothing."""
        if facts.school_days_elapsed < self.after:
            return None
        since = facts.as_of - timedelta(weeks=self.weeks)
        kinds = {EvidenceKind.CERTIFICATE, EvidenceKind.OBSERVATION_NOTE}
        recent = [e for e in facts.evidence if e.kind in kinds and e.captured_on > since]
        if recent:
            return None
        return RuleOutcome(
            Effect.WORSEN,
            f"No certificate or observation note released for this objective since {since}.",
            RagColour.AMBER,
            {"since": since.isoformat(), "released_items": str(len(facts.evidence))},
            f"none in {self.weeks} weeks after {self.after} school days: at least AMBER",
        )


@hookimpl
def cpdcore_rag_rules() -> Sequence[RagRule]:
    """The rules this plugin adds."""
    return [QuietCertificates()]
