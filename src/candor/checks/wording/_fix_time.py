"""The fix-time rule: a promise of when it will be fixed."""

from __future__ import annotations

import re
from collections.abc import Iterator

from candor.checks._pattern import lazy
from candor.checks._rule import rule
from candor.checks._subject import Subject
from candor.checks._words import CLOCK, DURATION
from candor.vocabulary import Finding, Severity

_FIX_TIME = lazy(
    r"\b(?:(?:will|should|expect\w*|going\s+to)\s+(?:\w+\s+){0,5}?"
    r"(?:be\s+)?(?:resolved|fixed|restored|back(?:\s+up|\s+online)?|recover\w*|recovery|"
    r"operational|working)"
    r"\s+(?:\w+\s+){0,2}?(?:in|within|by|before)\s+(?:approximately\s+|about\s+|around\s+)?"
    r"(?:" + DURATION + r"|" + CLOCK + r")"
    r"|(?:expect|should|will)\w*\s+(?:\w+\s+){0,4}?(?:be\s+)?(?:resolved|fixed|restored)\s+"
    r"(?:soon|shortly|quickly|momentarily)"
    # A fix, resolution or recovery as a noun, with its time: "we expect a fix within 15
    # minutes", "we anticipate full recovery by 16:00 UTC", "ETA for a fix: 30 minutes".
    r"|(?:expect\w*|anticipat\w*|estimat\w*|eta|plan\s+to\s+have|aim\s+to\s+have)\s+"
    r"(?:\w+\s+){0,3}?(?:fix|resolution|recovery|restoration)"
    r"\s+(?:\w+\s+){0,2}?(?:in|within|by|before|of|is|:)\s*(?:approximately\s+|about\s+|"
    r"around\s+|~\s*)?(?:" + DURATION + r"|" + CLOCK + r"))",
    re.IGNORECASE,
)
_FIX_TRIGGERS = frozenset(
    [
        "expect", "expected", "expecting", "expects", "going", "should", "will",
        "anticipate", "anticipated", "anticipating", "estimate", "estimated", "eta",
    ]
)  # fmt: skip


@rule(
    "fix-time",
    Severity.WARNING,
    "Promises when it will be fixed.",
    rationale=(
        "A fix time is a promise you do not control, and a missed one costs more trust than "
        "it bought. Promise the next update, which you do control."
    ),
    bad="This will be resolved in 10 minutes.",
    good="We are rolling back the change. Next update by 14:30 UTC.",
    why="a missed fix time costs more trust than it bought; the next update is the promise "
    "you control",
    policy="Always a warning: sometimes a team does know, and says so on purpose.",
)
def fix_time(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_FIX_TRIGGERS) or subject.final:
        return
    for match in _FIX_TIME.finditer(subject.text):
        yield fix_time.finding(
            subject,
            match.start(),
            match.end(),
            f"'{match.group()}' promises a fix time",
            "promise the time of the next update instead, and say what is being done",
        )
