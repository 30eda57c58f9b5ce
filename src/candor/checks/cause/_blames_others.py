"""The blames-others rule: the cause put on a third party without owning the outcome."""

from __future__ import annotations

import re
from collections.abc import Iterator

from candor.checks._pattern import lazy
from candor.checks._rule import rule
from candor.checks._subject import Subject
from candor.vocabulary import Finding, Severity

_THIRD_PARTY = lazy(
    r"\b(?:(?:our|an?|the)\s+(?:upstream\s+|cloud\s+|third[- ]party\s+|network\s+|hosting\s+|"
    r"dns\s+|external\s+)?(?:provider|vendor|carrier|partner|supplier|isp|certificate authority)"
    r"|third[- ]party|upstream|aws|amazon web services|azure|google cloud|gcp|"
    r"on the (?:carrier|provider|vendor)(?:'s)? side)\b",
    re.IGNORECASE,
)
_BLAME_LINK = lazy(
    r"\b(?:due\s+to|caused\s+by|because\s+of|result\s+of|related\s+to|cause\s+(?:of|was)|"
    r"confirmed\s+as|outage\s+(?:with|from|at)|failures?\s+(?:in|at|with)|issue\s+(?:with|at))\b",
    re.IGNORECASE,
)
_OWNS = lazy(
    r"\b(?:we|our)\b[^.!?\n]{0,60}\b(?:responsib\w*|should\s+have|failed\s+to|chose|choice|"
    r"decision|depend\w*|rely|relied|single\s+point|no\s+fallback|redundan\w*|fail\s*over|"
    r"will\s+(?:add|build|remove|reduce|change|move|stop|make)|(?:are|is)\s+working\s+to\s+"
    r"improve|(?:were|was)\s+not\s+in\s+place)",
    re.IGNORECASE,
)
_PARTY_TRIGGERS = frozenset(
    [
        "amazon",
        "authority",
        "aws",
        "azure",
        "carrier",
        "carrier's",
        "gcp",
        "google",
        "isp",
        "partner",
        "provider",
        "provider's",
        "side",
        "supplier",
        "third",
        "third-party",
        "upstream",
        "vendor",
        "vendor's",
    ]
)


@rule(
    "blames-others",
    Severity.WARNING,
    "Puts the cause on a third party without owning the outcome.",
    rationale=(
        "Customers chose you, not your provider. Naming the provider is fine; stopping there "
        "is not: say what you depend on and what you will change."
    ),
    bad="The outage was caused by our upstream provider.",
    good="An outage at our DNS provider took our API offline because we had no second "
    "provider; we will add one.",
    why="customers chose you, not your provider; blame without ownership reads as an excuse",
    policy="Always a warning: naming a provider is often simply true, and only the team "
    "knows whether the outcome was theirs to prevent.",
)
def blames_others(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_PARTY_TRIGGERS) or _OWNS.search(subject.text):
        return
    for offset, sentence in subject.sentences:
        party = _THIRD_PARTY.search(sentence)
        if party and _BLAME_LINK.search(sentence):
            yield blames_others.finding(
                subject,
                offset + party.start(),
                offset + party.end(),
                f"the cause is put on '{party.group()}' and nothing owns the outcome",
                "say what in your own setup made their failure yours, and what you will change",
            )
            return
