"""Nouns of trouble: the phrases that name trouble without saying what it was.

The pattern pieces every cause rule reads a noun phrase with ("a technical issue", "an
unexpected service outage", "a spike in traffic"), the test for a noun of trouble that
refers back to the incident, and the clause before a verb.
"""

from __future__ import annotations

import re

from candor.checks._pattern import lazy

# Nouns that name trouble without saying what it was. "Issue"-like heads never explain a
# cause, whatever qualifies them ("DNS issues" still says nothing about what broke);
# "outage"-like ones explain nothing only when all that qualifies them is generic ("an
# unexpected service outage"), not when it names a thing ("a power outage").
ISSUE_HEADS = (
    r"(?:issues?|problems?|glitch(?:es)?|degradation|instability|difficult(?:y|ies)|hiccups?|"
    r"anomal(?:y|ies)|faults?|malfunctions?|irregularit(?:y|ies)|abnormalit(?:y|ies)|"
    r"challenges|circumstances|factors)"
)
EVENT_HEADS = (
    r"(?:errors?|failures?|outages?|incidents?|disruptions?|events?|situation|conditions?|"
    r"behaviou?r|interruptions?|complications?)"
)
GENERIC = (
    r"(?:internal|unexpected|unforeseen|unanticipated|technical|service|system|systems|partial|"
    r"temporary|general|unknown|underlying|intermittent|specific|certain|isolated|platform|"
    r"infrastructure|backend|upstream|third[- ]party|provider|vendor(?:-side)?|network|"
    r"datacenter|data\s+center|operational|transient|sporadic|an|unplanned|wider|broader|"
    r"larger|major|significant|an\s+internal)"
)
# A tail that points at nothing in particular keeps the noun phrase vague.
VAGUE_TAIL = (
    r"(?:\s+(?:with|in|on|at|of|from|affecting|within)\s+(?:(?:an?|the|our|one\s+of\s+our|some)\s+)?"
    r"(?:(?:internal|underlying|upstream|downstream|third[- ]party|external|backend|core|cloud|"
    r"specific|certain|one\s+of\s+our)\s+)*"
    r"(?:services?|systems?|platform|infrastructure|provider|vendor|network|components?|"
    r"dependenc(?:y|ies)|backend|partner|side|end))?"
)
# Up to three words before the head, none of which ends the phrase.
MODIFIERS = (
    r"(?:(?!(?:and|or|but|which|that|was|were|is|are|has|have|to|by|for)\b)[\w’'/&.-]+\s+){0,3}?"
)
DETERMINER = r"(?:(?:an?|the|some|this|these|those|our|its|their|several|multiple|all\s+known)\s+)?"
VAGUE_NP = (
    r"(?:"
    + DETERMINER
    + MODIFIERS
    + ISSUE_HEADS
    + r"\b"
    + VAGUE_TAIL
    + r"|"
    + DETERMINER
    + r"(?:"
    + GENERIC
    + r"\s+){0,3}(?P<event>"
    + EVENT_HEADS
    + r")\b"
    + VAGUE_TAIL
    + r"(?!\s+(?:at|in|of|on|with|from)\s))"
)
# Load named as a cause without its source.
LOAD = (
    r"(?:an?\s+)?(?:large\s+|sudden\s+|unexpected\s+|significant\s+)?(?:spike|surge|increase|jump)\s+"
    r"(?:in|of)\s+(?:traffic|load|requests|demand|usage)"
)


# A noun of trouble with a definite or demonstrative determiner refers back to the incident;
# as the subject of a verb of effect it tells the impact, not the cause.
REFERS_BACK = lazy(r"\s*(?:the|this|these|that|those|its)\s", re.IGNORECASE)
EFFECT_VERB = lazy(
    r"(?:impacted|affected|disrupted|degraded|prevented|delayed|impacting|affecting)", re.I
)


def subject_before(sentence: str, at: int) -> str:
    """The words before a verb in its clause: what the sentence says did it."""
    clause = re.split(r"[,;:(]|\band\b|\bwhile\b|\bwhen\b", sentence[:at])[-1]
    return clause
