"""Fact rules: the next update is promised; figures, times and status words match the incident."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC
from functools import lru_cache

from candor.checks._pattern import lazy
from candor.checks._rule import Rule, rule
from candor.checks._subject import CLAIMS_RESOLVED, Subject
from candor.checks._words import CLOCK, DURATION, PEOPLE_PATTERN
from candor.model import Effect, Status, minute_up
from candor.vocabulary import Finding, Severity

_NEXT_UPDATE_PLAIN = lazy(
    r"\bnext update (?:by \d{1,2}:\d{2}|in \d+ (?:minutes?|hours?))", re.IGNORECASE
)
_UPDATE_PROMISE = lazy(
    r"\b(?:next\s+update|(?:will|'ll|’ll|shall|to)\s+(?:\w+\s+){0,4}?"
    r"(?:update|updates|updating|post|posting|provide|share|send|publish|communicate|report|"
    r"be\s+back|check\s+back|follow\s+up|follow|return)"
    r"|(?:another|further|additional|more)\s+(?:\w+\s+)?updates?|updates?\s+(?:\w+\s+){0,3}every"
    r"|update\s+again)\b",
    re.IGNORECASE,
)
_UPDATE_TIME = lazy(
    r"(?:\b(?:by|at|before|around|until|no\s+later\s+than)|:|—|–)\s+(?:approximately\s+|about\s+|~\s*)?"
    + CLOCK
    + r"(?=\W|$)"
    r"|\b(?:in|within|every)\s+(?:the\s+next\s+)?(?:approximately\s+|about\s+|around\s+|~\s*)?"
    + DURATION
    + r"|\b(?:in|within|every)\s+(?:the\s+next\s+|the\s+|an?\s+)?(?:half\s+(?:an\s+)?)?hour\b"
    r"|\b(?:in|within|every)\s+~?\s*\d+\s*(?:h|m|mins?|hrs?)\b|\b\d{1,2}h\d{2}\b|\b(?:at|on)\s+the\s+(?:top|half)\s+of\s+the\s+hour"
    r"|\b(?:by|at|before)\s+(?:the\s+)?(?:end\s+of\s+(?:the\s+)?day|noon|midnight)"
    r"|\b(?:by|on|before)\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"tomorrow)\b",
    re.IGNORECASE,
)


# A figure or a time word in a promise of an update: a time the rule may not read.
_TIME_LIKE = lazy(
    r"\d|\b(?:hour|hours|minutes?|noon|midnight|tonight|tomorrow|morning|afternoon|evening|"
    r"[ap]\.?m\.?)\b",
    re.IGNORECASE,
)


@rule(
    "no-next-update",
    Severity.ERROR,
    "A non-final update that does not say when the next one comes.",
    rationale=(
        "Once the conversation starts, never walk away. 'Shortly' and 'as soon as we know "
        "more' promise nothing; a time is a promise customers can hold you to."
    ),
    bad="We are working on a fix and will share more information shortly.",
    good="We are working on a fix. Next update by 14:30 UTC, sooner if we learn more.",
    bad_status=Status.INVESTIGATING,
    why="once an incident is public, customers wait on you; a time is a promise they can hold "
    "you to, 'shortly' is not",
    policy="An error in a non-final update that promises no update, or promises one with no "
    "time at all ('shortly', 'as soon as we know more'): the promise of the next update is "
    "a product principle. A warning when a sentence promising an update holds a figure or "
    "a time word in a form the rule does not read: a time may be there.",
)
def no_next_update(subject: Subject) -> Iterator[Finding]:
    if subject.final:
        return
    impossible = list(_impossible_times(subject))
    yield from impossible
    if impossible or _NEXT_UPDATE_PLAIN.search(subject.text):
        return
    unsure = False
    for _, sentence in subject.sentences:
        if _UPDATE_PROMISE.search(sentence):
            if _UPDATE_TIME.search(sentence):
                return
            unsure = unsure or bool(_TIME_LIKE.search(sentence))
    yield no_next_update.finding(
        subject,
        0,
        len(subject.text),
        "an update is promised with a time the rule cannot read for sure"
        if unsure
        else "no time is given for the next update",
        "end with 'Next update by HH:MM UTC' (or 'in 30 minutes')",
        severity=Severity.WARNING if unsure else Severity.ERROR,
    )


_CLOCK_TIME = lazy(r"(?<![\d.:])(\d{1,2}):(\d{2})(?![\d:])")


def _impossible_times(subject: Subject) -> Iterator[Finding]:
    """A promise of an update at a time no clock shows ('25:99 UTC'): a promise of nothing."""
    if ":" not in subject.text:
        return
    for start, sentence in subject.sentences:
        if ":" not in sentence or not _UPDATE_PROMISE.search(sentence):
            continue
        for match in _CLOCK_TIME.finditer(sentence):
            hour, minute = int(match.group(1)), int(match.group(2))
            if hour > 24 or minute > 59 or (hour == 24 and minute != 0):
                yield no_next_update.finding(
                    subject,
                    start + match.start(),
                    start + match.end(),
                    f"'{match.group()}' is not a time of day, so the next update is promised "
                    "for no time at all",
                    "give a real time, such as 'Next update by 14:30 UTC'",
                    severity=Severity.ERROR,
                )


_PERCENT_OF = lazy(
    r"(\d+(?:\.\d+)?(?:e-?\d+)?)\s?%\s+of\s+(?:our\s+|the\s+|all\s+)?(?:[\w-]+\s+)?"
    r"(?:" + PEOPLE_PATTERN + r")",
    re.IGNORECASE,
)
_NEXT_AT = lazy(r"\bnext\s+update\s+by\s+(\d{1,2}):(\d{2})\s*(UTC|GMT)\b", re.IGNORECASE)
# The patterns above are tried only where they can start (a figure before each "%", the
# count before each mention of the noun, each "next update by"): trying them at every
# position of the text costs more than all the other rules together.
_BEFORE_PERCENT = re.compile(r"\d+(?:\.\d+)?(?:e-?\d+)?\s?$")
_BEFORE_NOUN = re.compile(r"\b(?:\d{1,3}(?:,\d{3})+|\d+)\s+$")


def _starts(text: str, mark: str, before: re.Pattern[str], reach: int = 24) -> Iterator[int]:
    """Where a figure ending just before each ``mark`` (in lowercased ``text``) starts."""
    at = text.find(mark)
    while at >= 0:
        found = before.search(text, max(0, at - reach), at)
        if found is not None:
            yield found.start()
        at = text.find(mark, at + 1)


def _percents(subject: Subject) -> Iterator[re.Match[str]]:
    for start in _starts(subject.text, "%", _BEFORE_PERCENT):
        match = _PERCENT_OF.match(subject.text, start)
        if match is not None:
            yield match


def _counts(subject: Subject, noun: str) -> Iterator[re.Match[str]]:
    counted = _counted(noun)
    if len(subject.lowered) != len(subject.text):  # lowercasing moved positions: read it all
        yield from counted.finditer(subject.text)
        return
    for start in _starts(subject.lowered, noun, _BEFORE_NOUN):
        match = counted.match(subject.text, start)
        if match is not None:
            yield match


_STATUS_WORDS = {
    Status.RESOLVED: CLAIMS_RESOLVED,
    Status.MONITORING: re.compile(r"\b(?:we are|we're|now)\s+monitoring\b", re.IGNORECASE),
}


@rule(
    "contradicts-incident",
    Severity.ERROR,
    "A number, time or status word that contradicts the incident's facts.",
    rationale=(
        "One truth on every channel: if the text says 5% and the incident says 12%, one of "
        "them is wrong, and customers will find out which."
    ),
    bad="(incident: 12% affected, monitoring) Resolved: 5% of customers saw errors.",
    good="(incident: 12% affected, monitoring) A fix is in place for the 12% of customers "
    "who saw errors; we are monitoring it.",
    why="one truth on every channel: a customer who sees two figures trusts neither",
    policy="Always an error: it compares the text with the incident's own recorded facts: "
    "percentages, counts, status words, the next-update time (as messages show it, rounded "
    "up to the minute), and the effect. A degraded incident (it works, badly) said to be "
    "down or 'not working at all', and an outage whose own message tells only of a delay or "
    "slowness with no failure anywhere in it, contradict the effect the scope records.",
)
def contradicts_incident(subject: Subject) -> Iterator[Finding]:
    incident = subject.incident
    if incident is None:
        return
    rule = contradicts_incident
    scope = incident.scope
    if scope.affected_fraction is not None:
        expected = scope.affected_fraction * 100
        for match in _percents(subject):
            said = float(match.group(1))
            if abs(said - expected) > max(0.005 * expected, 1e-9) and not _rounds_to(
                said, expected
            ):
                yield rule.finding(
                    subject,
                    match.start(),
                    match.end(),
                    f"the text says {match.group(1)}%; the incident says {expected:g}%",
                    "use the incident's figure, or update the incident's scope first",
                )
    if scope.affected_count is not None:
        noun = (scope.customers or "customers").split()[-1].lower()
        for match in _counts(subject, noun):
            said_count = int(match.group(1).replace(",", ""))
            if said_count != scope.affected_count:
                yield rule.finding(
                    subject,
                    match.start(),
                    match.end(),
                    f"the text says {said_count:,} {noun}; the incident says "
                    f"{scope.affected_count:,}",
                    "use the incident's count, or update the incident's scope first",
                )
    status = subject.status or incident.status
    for claimed, pattern in _STATUS_WORDS.items():
        if claimed.value not in subject.lowered:
            continue
        found = pattern.search(subject.text)
        if (
            found
            and claimed is not status
            and not (claimed is Status.MONITORING and status is Status.RESOLVED)
        ):
            yield rule.finding(
                subject,
                found.start(),
                found.end(),
                f"the text says {claimed.value}; the incident is {status.value}",
                f"post the {claimed.value} status through candor, or say what is true now",
            )
    yield from _effect_contradictions(subject)
    due = incident.next_update_by
    if due is None or "next update by" not in subject.lowered:
        return
    same = len(subject.lowered) == len(subject.text)
    start = subject.lowered.find("next update by") if same else 0
    for match in _NEXT_AT.finditer(subject.text, start):
        said_time = (int(match.group(1)), int(match.group(2)))
        # Messages show a promise rounded up to the minute (never earlier than it is due).
        due_utc = minute_up(due).astimezone(UTC)
        if said_time != (due_utc.hour, due_utc.minute):
            yield rule.finding(
                subject,
                match.start(),
                match.end(),
                f"the text promises {match.group(1)}:{match.group(2)} UTC; the incident "
                f"promises {due_utc:%H:%M} UTC",
                "promise the same next-update time on every channel",
            )


# What a text says customers see: nothing works at all, or it works, slowly.
_TOTAL_LOSS = lazy(
    r"\bnot\s+(?:working|available|usable|loading|responding)\s+(?:for\s+\w+\s+)?at\s+all\b"
    r"|\bcompletely\s+(?:down|unavailable|offline|broken|inaccessible|unusable)\b"
    r"|\b(?:is|are|was|were|went|remains?)\s+(?:completely\s+|fully\s+|entirely\s+)?"
    r"(?:down|offline|unavailable|unreachable)\b"
    r"|\b(?:total|full|complete)\s+outage\b",
    re.IGNORECASE,
)
_DELAY = lazy(
    r"\b(?:delay(?:ed|s)?|slow(?:er|ness|ly|ed)?|latency|lag(?:ging|s)?|backlog(?:ged)?|"
    r"queued|taking\s+longer|degraded\s+performance)\b",
    re.IGNORECASE,
)
_FAILURE = lazy(
    r"\b(?:fail\w*|errors?|down|outage|unavailable|unreachable|not\s+working|cannot|can['’]?t|"
    r"unable|broken|offline|time[sd]?\s+out|timeouts?|timing\s+out|rejected|refused|lost|"
    r"crash\w*|http\s+[45]\d\d)\b",
    re.IGNORECASE,
)


def _effect_contradictions(subject: Subject) -> Iterator[Finding]:
    """A text that says customers see another effect than the incident's scope records.

    A degraded incident (it works, badly) said to be down or "not working at all"; an
    outage whose own words tell only of a delay or slowness, with no failure anywhere.
    """
    incident = subject.incident
    assert incident is not None
    scope = incident.scope
    rule = contradicts_incident
    if scope.effect is Effect.DEGRADED:
        for match in _TOTAL_LOSS.finditer(subject.text):
            yield rule.finding(
                subject,
                match.start(),
                match.end(),
                f"the text says '{match.group()}'; the incident says it works, slowly or "
                "unreliably (its effect is degraded)",
                "say what customers see (slow, delayed, some requests failing), or record "
                "the outage first (effect 'outage'; no --degraded)",
            )
        return
    # An outage: the incident's own words (its newest message, where the text holds it).
    newest = incident.updates[-1].message.strip() if incident.updates else ""
    offset = subject.text.find(newest) if newest else -1
    own = subject.text[offset : offset + len(newest)] if offset >= 0 else subject.text
    offset = max(offset, 0)
    if _FAILURE.search(own):
        return
    delay = _DELAY.search(own)
    if delay is not None:
        yield rule.finding(
            subject,
            offset + delay.start(),
            offset + delay.end(),
            f"the text tells only of '{delay.group()}', and no failure; the incident says "
            "it is down (its effect is an outage), which every message states as 'not "
            "working at all'",
            "if it works, but slowly, record the effect as degraded (--degraded, or "
            "effect='degraded'); if it is down, say what fails",
        )


@lru_cache(maxsize=64)
def _counted(noun: str) -> re.Pattern[str]:
    """A number followed by ``noun``: '1,843 merchants'."""
    return re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+)\s+(" + re.escape(noun) + r")\b", re.I)


def _rounds_to(said: float, expected: float) -> bool:
    """True when ``said`` is ``expected`` written with fewer digits."""
    text = f"{said:g}"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return round(expected, decimals) == said


RULES: list[Rule] = [no_next_update, contradicts_incident]
