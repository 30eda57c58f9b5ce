"""The rote-apology rule: an apology for nothing in particular."""

from __future__ import annotations

import re
from collections.abc import Iterator

from candor.checks._pattern import lazy
from candor.checks._rule import rule
from candor.checks._subject import Subject
from candor.vocabulary import Finding, Severity

_APOLOGY = lazy(r"\b(?:apologi[sz]e[sd]?|apologies|apology|sorry|regret)\b", re.I)
# What a rote apology apologises for: a noun that names no harm in particular.
_GENERIC_HARM = (
    r"(?:inconvenience\w*|trouble|troubles|disruption|disruptions|issues?|problems?|confusion|"
    r"impact|frustration|interruptions?|difficult(?:y|ies)|disturbance|situation|delays?|"
    r"outage|incident|any\s+\w+)"
)
_ROTE_OBJECT = lazy(
    r"\s*(?:for|about)\s+(?:(any|the|this|these|all|all\s+the|our|that)\s+)?"
    r"(?:(?:possible|temporary|recent|resulting|potential|unexpected)\s+)?"
    r"(" + _GENERIC_HARM + r")\b"
    r"(?!\s+(?:to|of|in|on|with|during|at|for)\s+(?!you\b|our\s+(?:customers|users|community)\b|"
    r"all\b|everyone\b|anyone\b|any\b|this\b))"
    r"(?!\s+(?:this|it|that)\s+(?:\w+\s+){0,3}?(?:caused|had|meant|put|brought)\s+"
    r"(?:to\s+|on\s+|for\s+)?"
    r"(?!you\b|our\s+(?:customers|users|community|clients)\b)(?:your|our|the)\s)",
    re.IGNORECASE,
)
# "Any" makes the harm hypothetical, whatever follows: "any disruption to your service".
_ROTE_ANY = lazy(
    r"\s*(?:(?:for|about)\s+)?any\s+(?:(?:possible|temporary|resulting|potential|unexpected)\s+)?"
    + _GENERIC_HARM
    + r"\b",
    re.IGNORECASE,
)
# "We apologize for the outage" names the event, if not the harm to you: not sure to be
# rote ("We apologize for the outage. It was caused by ..." often goes on to say what).
_NAMED_EVENT = lazy(
    r"\b(?:for|about)\s+(?:the|this|our|that)\s+(?:(?:recent|temporary)\s+)?(?:outage|incident)$",
    re.IGNORECASE,
)
_ROTE_TO = lazy(
    r"\s*to\s+(?:all\s+|our\s+|the\s+)*(?:customers|users|everyone|anyone|those|you)\s+"
    r"(?:who|whose|that)\s+(?:\w+\s+){0,3}?(?:impacted|affected|inconvenienced)\b",
    re.IGNORECASE,
)
_ROTE_ELSEWHERE = lazy(
    r"\b(?:inconvenience\s+(?:this|that|caused|it)\b[^.!?\n]*"
    r"|(?:we\s+)?take\s+(?:this|it|these\s+\w+|the\s+\w+\s+of\s+\w+)\s+(?:very\s+)?seriously"
    r"|(?:we\s+)?value\s+your\s+(?:business|patience|trust))",
    re.IGNORECASE,
)
_ROTE_TRIGGERS = frozenset(
    [
        "apologise",
        "apologize",
        "apologised",
        "apologized",
        "apologises",
        "apologizes",
        "apologies",
        "apology",
        "inconvenience",
        "inconvenienced",
        "regret",
        "seriously",
        "sorry",
        "value",
    ]
)


@rule(
    "rote-apology",
    Severity.ERROR,
    "An apology for nothing in particular ('any inconvenience', 'the trouble').",
    rationale=(
        "'Any inconvenience' suggests there may have been none, and customers have read it "
        "a thousand times. Say what you are sorry for: the checkout that failed, the "
        "data that was late."
    ),
    bad="We apologize for any inconvenience this may have caused.",
    good="We are sorry: for 40 minutes you could not take payments in eu-west.",
    why="an apology for 'any inconvenience' names no harm, so it reads as a formula, not as "
    "being sorry",
    policy="An error when the apology's object is 'any' harm ('any disruption to your "
    "service': 'any' makes it hypothetical, whatever follows), or a generic noun ('the "
    "trouble', 'the disruption') with nothing after it that says which harm, or it is "
    "addressed to 'customers who were impacted'; and for 'we take this seriously' or 'we "
    "value your business'. A warning for a bare 'the outage' or 'the incident': it names the "
    "event, and the text often goes on to say what it did. Nothing when the apology names "
    "the harm ('for the delayed post', "
    "'for the length of time it took us to restore service', 'for the impact this had on "
    "your builds').",
)
def rote_apology(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_ROTE_TRIGGERS):
        return
    text = subject.text
    seen: list[int] = []
    for apology in _APOLOGY.finditer(text):
        found = (
            _ROTE_OBJECT.match(text, apology.end())
            or _ROTE_ANY.match(text, apology.end())
            or _ROTE_TO.match(text, apology.end())
        )
        if found:
            seen.append(apology.start())
            words = text[apology.start() : found.end()].strip()
            yield rote_apology.finding(
                subject,
                apology.start(),
                found.end(),
                f"'{words}' apologises for nothing in particular",
                "apologise for what actually happened to customers, specifically",
                severity=Severity.WARNING if _NAMED_EVENT.search(words) else Severity.ERROR,
            )
    for match in _ROTE_ELSEWHERE.finditer(text):
        if any(start <= match.start() <= start + 80 for start in seen):
            continue
        yield rote_apology.finding(
            subject,
            match.start(),
            match.end(),
            f"'{match.group().strip()}' is a formula customers have read a thousand times",
            "apologise for what actually happened to customers, specifically",
        )
