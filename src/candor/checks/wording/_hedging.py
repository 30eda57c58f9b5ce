"""The hedging rule: an impact that is already known made to sound uncertain."""

from __future__ import annotations

import re
from collections.abc import Iterator

from candor.checks._pattern import lazy
from candor.checks._rule import rule
from candor.checks._subject import Subject
from candor.model import Status
from candor.vocabulary import Finding, Severity

_MODALS = frozenset(
    {"may", "might", "could", "possibly", "potentially", "possible", "perhaps", "likely",
     "believe", "chance", "possibility", "should", "appears", "seems", "think", "suspect",
     "probably", "appear", "seem"}
)  # fmt: skip
# A modal, then the ways English stacks aspect and negation ("may still not have been able
# to"), then a verb of suffering or noticing, or an inability.
_HEDGE = lazy(
    r"\b(?:may|might|could(?!\s+not\b|n['’]t))\s+"
    r"(?:(?:still|also|continue\s+to|have|not|been|be|now|already|intermittently|"
    r"temporarily|\w+ly)\s+){0,5}"
    r"(?:able\s+to\s+\w+|unable|"
    r"experienc\w*|see[ns]?|seeing|saw|observ\w*|notic\w*|not(?:e|ed|ing)|encounter\w*|"
    r"result\w*|caus\w*|affect\w*|impact\w*|fac\w+|receiv\w*|get|got|hit|fail\w*|stale|"
    r"delayed|unavailable|slow\w*|missing|lost|los[et]\w*|run\s+into|ran\s+into|"
    r"find|found|report\w*|wait\w*|be\s+delayed|gone\s+through|go\s+through|succeed\w*|"
    r"complet\w*|deliver\w*|arriv\w*|load\w*|(?:some\s+|brief\s+)?(?:delays?|errors?|"
    r"disruptions?|interruptions?|failures?|issues?|impact|data\s+loss|gaps?|downtime))\b",
    re.IGNORECASE,
)
# Doubt put around the impact without a modal verb: "it is possible that some requests
# failed", "customers were likely affected", "we believe a few customers saw errors".
_DOUBT = lazy(
    r"\b(?:it\s+is\s+possible\s+that|it['’]s\s+possible\s+that|there\s+is\s+a\s+(?:small\s+)?"
    r"(?:chance|possibility)\s+that|perhaps|we\s+believe\s+(?:that\s+)?(?:some|a\s+few|a\s+"
    r"small)|(?:were|was|have|has)\s+likely\s+(?:been\s+)?(?:affected|impacted|experienc\w+|"
    r"delayed|lost)|should\s+(?:now\s+|still\s+)?be\s+(?:minimal|limited|negligible|minor|small|"
    r"unaffected)"
    r"|it\s+(?:appears|seems)\s+(?:that\s+|as\s+though\s+|as\s+if\s+)?(?:some|a\s+few|customers|"
    r"users|requests|(?:\w+\s+)?(?:customers|users|requests|accounts)\s+(?:were|was|had))"
    r"|(?:it\s+is|it['’]s)\s+(?:likely|probable|possible)\s+that"
    r"|we\s+(?:think|suspect|believe)\s+(?:that\s+)?(?:some|a\s+few|a\s+small|customers|users|"
    r"(?:\w+\s+)?(?:customers|users|requests|accounts)\s+(?:were|was))"
    r"|(?:possibly|potentially|probably)\s+(?:unable|not\s+able|delayed|lost|missing|"
    r"failed|dropped))\b",
    re.IGNORECASE,
)
_POTENTIALLY = lazy(r"\b(?:potentially|possibly)\s+(?:been\s+)?(?:affected|impacted)\b", re.I)


@rule(
    "hedging",
    Severity.ERROR,
    "Makes an impact that is already known sound uncertain ('may have experienced').",
    rationale=(
        "Once the cause is identified, or after the fact, 'may have experienced' is not "
        "caution but evasion: you know who was hit. Say what happened to them. While the "
        "cause is still being looked for, 'may' is honest, and passes."
    ),
    bad="Users may have experienced errors between 14:00 and 14:30 UTC.",
    good="Between 14:00 and 14:30 UTC, 12% of API requests in eu-west failed with HTTP 503.",
    bad_status=Status.RESOLVED,
    why="once the cause is found, or after the fact, you know who was hit: 'may' reads as "
    "not wanting to say",
    policy="An error when a modal ('may', 'might', 'could have') puts a customer's experience "
    "in doubt and the cause is known: the status is identified, monitoring or resolved, or "
    "the text says the cause was found or the impact mitigated. A warning for 'potentially "
    "affected', and for 'may have' about the past while still investigating. Doubt without a "
    "modal counts the same once the cause is known: 'it appears that some requests failed', "
    "'we think a few customers were affected', 'it is likely that', 'possibly unable'. "
    "Nothing for 'may' about what is not known yet, or for advice ('you may retry').",
)
def hedging(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_MODALS):
        return
    known = subject.cause_known
    for match in _HEDGE.finditer(subject.text):
        past = " have " in f" {match.group().lower()} "
        if known:
            severity = Severity.ERROR
        elif past:
            severity = Severity.WARNING
        else:
            continue
        yield hedging.finding(
            subject,
            match.start(),
            match.end(),
            f"'{match.group()}' makes a known impact sound uncertain",
            "say what happens (or happened) to the affected customers, as a fact",
            severity=severity,
        )
    if known:
        for match in _DOUBT.finditer(subject.text):
            yield hedging.finding(
                subject,
                match.start(),
                match.end(),
                f"'{match.group()}' makes a known impact sound uncertain",
                "say who was affected and how, as a fact",
            )
        for match in _POTENTIALLY.finditer(subject.text):
            yield hedging.finding(
                subject,
                match.start(),
                match.end(),
                f"'{match.group()}' makes a known impact sound uncertain",
                "say who was affected, as a fact",
                severity=Severity.WARNING,
            )
