"""An example SMART plugin: a school's own rule that every objective names a pupil group.

Install it as a plugin by declaring an entry point in the ``cpdcore`` group of your
package's ``pyproject.toml``::

    [project.entry-points.cpdcore]
    our-school = "smart_plugin"

``cpd smart check`` (and any host that asks the plugin manager) then runs the check after
the built-in rules. A check can only make a letter worse: here S becomes FAIL when no year
group, class or pupil group is named, and the explanation says ``from plugin
names-pupil-group``. Run this file to see it on two objectives::

    .venv/bin/python examples/smart_plugin.py
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from cpdcore.domain.smart import Finding, Letter, SmartCheck, SmartContext, Span, Verdict, assess
from cpdcore.hookspecs import hookimpl

_PUPIL_GROUP = re.compile(
    r"\b(?:year\s*\d{1,2}|y\d{1,2}|reception|nursery|sixth\s+form|ks\s*[1-5]|class\s+\w+"
    r"|set\s+\d|tutor\s+group|\d{1,2}[a-z]\d?)\b",
    re.IGNORECASE,
)


class NamesPupilGroupCheck:
    """Our school's rule: an objective must name the pupils it is for."""

    name = "names-pupil-group"

    def check(self, text: str, context: SmartContext) -> Iterable[Finding]:
        """FAIL S when no year group, class or set is named; say nothing otherwise."""
        if _PUPIL_GROUP.search(text):
            return []
        return [
            Finding(
                letter=Letter.S,
                verdict=Verdict.FAIL,
                rule="school-names-pupil-group",
                reason="our appraisal policy asks every objective to name the pupils it is for",
                span=Span.whole(text),
                suggestion="Name the year group, class or set, e.g. 'Year 9 set 3' or '4C'.",
            )
        ]


@hookimpl
def cpdcore_smart_checks() -> Sequence[SmartCheck]:
    """The hook cpdcore calls to collect this plugin's checks."""
    return [NamesPupilGroupCheck()]


def main() -> None:
    """Assess two objectives with and without the school's check and print the S letter."""
    checks = cpdcore_smart_checks()
    for text in (
        "Deliver three twilight CPD sessions on retrieval practice by the end of the spring term.",
        "Use cold calling in 4 of 6 observed Year 9 science lessons by February half term.",
    ):
        built_in = assess(text)
        with_school = assess(text, checks=checks)
        print(text)
        print("  built-in only:   ", built_in["S"].explanation)
        print("  with our plugin: ", with_school["S"].explanation)
        print("  overall:", built_in.overall.value, "->", with_school.overall.value)


if __name__ == "__main__":
    main()
