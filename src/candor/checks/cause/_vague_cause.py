"""The vague-cause rule: a cause that explains nothing ("a technical issue", "a glitch")."""

from __future__ import annotations

from collections.abc import Iterator

from candor.checks._rule import rule
from candor.checks._subject import Subject
from candor.checks.cause._nothing import CAUSE_NOUN_WORDS, PLACE_TRIGGERS
from candor.checks.cause._spans import VAGUE_TRIGGERS, empty_causes, vague_spans
from candor.vocabulary import Finding, Severity

_ALL_VAGUE_TRIGGERS = VAGUE_TRIGGERS | CAUSE_NOUN_WORDS | PLACE_TRIGGERS


@rule(
    "vague-cause",
    Severity.ERROR,
    "A cause that explains nothing ('a technical issue', 'a glitch').",
    rationale=(
        "'An internal service degradation' tells customers nothing they did not know. Name "
        "what broke, or say plainly that you do not know yet."
    ),
    bad="We identified an internal systems issue and are working on a fix.",
    good="A configuration change to our eu-west load balancers sent traffic to servers that "
    "were out of service; we are rolling it back.",
    why="a cause that only says something went wrong tells customers nothing they did not "
    "know, and reads as hiding what did",
    policy="An error when a noun of trouble that names nothing ('an issue', 'DNS problems', "
    "'instability') stands where the cause goes: after 'due to', 'caused by', 'related to'; "
    "as the subject of 'caused', 'impacted', 'led to'; or as what was identified. Event "
    "nouns ('an outage', 'an error') count only when all that qualifies them is generic ('an "
    "unexpected service outage', not 'a power outage'). A warning after 'found to be', and "
    "for load named as a cause without its source ('increased load caused'). Beyond the stock "
    "nouns, the cause's place is read word by word, after a connective ('due to', 'stemmed "
    "from', 'the result of') or as the subject of a causal verb: it names nothing when "
    "every word is a determiner, a generic qualifier, a noun of trouble or a symptom "
    "('capacity constraints on our side', 'a degraded dependency', 'elevated latency in our "
    "platform'): an error. When only a part in general is named ('a third-party dependency', "
    "'one of our upstream providers') or the place follows 'after' (also a time), a "
    "warning, unless a nameless thing is 'corrected' after all. In a resolution, saying "
    "the cause was found or fixed without naming it ('we found the source of the errors "
    "and corrected it', 'the underlying problem was corrected') is an error. A noun of "
    "trouble that refers back ('this outage', 'the incident') as the subject of a verb of "
    "effect ('affected every customer') tells the impact, not a cause: nothing. Nothing for "
    "an issue described by its symptom while the cause is still being looked for ('an issue "
    "affecting the dashboard').",
)
def vague_cause(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_ALL_VAGUE_TRIGGERS):
        return
    seen: list[tuple[int, int]] = []
    spans = set(vague_spans(subject)) | set(empty_causes(subject))
    for start, end, severity in sorted(
        spans, key=lambda span: (span[0], span[2] is not Severity.ERROR, -span[1])
    ):
        if any(a <= start < b or a < end <= b for a, b in seen):
            continue
        seen.append((start, end))
        words = subject.text[start:end].strip()
        yield vague_cause.finding(
            subject,
            start,
            start + len(words),
            f"'{words}' stands where the cause goes, and names none",
            "say what broke (a configuration change, an expired certificate, a full disk), "
            "or say plainly that the cause is not known yet",
            severity=severity,
        )
