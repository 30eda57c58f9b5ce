"""The no-cause rule: a resolution that does not say what caused the incident."""

from __future__ import annotations

import re
from collections.abc import Iterator

from candor.checks._pattern import lazy
from candor.checks._rule import rule
from candor.checks._subject import STILL_INVESTIGATING, Subject
from candor.checks.cause._spans import empty_causes, vague_spans
from candor.checks.cause._statement import MECHANISM, cause_statement
from candor.model import Status, UpdateKind
from candor.vocabulary import Finding, Severity

# Shapes that often carry a cause the rule cannot read for sure: "failed after a migration
# locked the table", "..., so requests timed out", "a configuration push removed the route".
_MAYBE_CAUSAL = lazy(
    r"\bafter\s+(?:an?|the|our|we|it|one|two)\b|,\s*so\s+\w+|\bsince\s+(?:an?|the|our)\b"
    r"|\b(?:change|changes|deploy\w*|configuration|config|push|migration|upgrade|release|"
    r"rollout|update)\s+(?:to\s+\w+\s+)?(?:\w+\s+)?\w+ed\b",
    re.IGNORECASE,
)
# A resolution sentence that only reports status, impact or courtesy cannot hold a cause;
# one that narrates anything else might, in words the rule does not read.
_STATUS_OR_COURTESY = lazy(
    r"\b(?:resolved|solved|restored|recovered|operational|normal(?:ly)?|fixed|mitigated|monitor\w*|"
    r"dropped|lost|missing|stale|"
    r"working\s+(?:again|as\s+expected)|back\s+(?:up|online|to)|closed|stable|healthy|"
    r"apologi\w+|sorry|regret|thank\w*|patience|support|ticket|contact|questions|"
    r"experienc\w*|affected|impacted|unavailable|unable|degraded|delay\w*|errors?|errored|"
    r"fail\w*|slow\w*|latency|outage|disruption|interruption|timeouts?|between|from\s+\d|until|"
    r"during|minutes|hours|utc|[ap]m|pst|pdt|est|edt|cet|gmt|\d{1,2}:\d{2}|impact\w*|affect\w*|"
    r"incident|period|window|time|today|yesterday|morning|afternoon|evening|night|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|(?:mon|tues|wednes|thurs|fri|"
    r"satur|sun)day|"
    # acts that any incident has, and tell nothing of what went wrong
    r"took\s+action|taken\s+(?:action|steps)|worked\s+to|working\s+to|mitigation|"
    r"made\s+changes|share\s+more|more\s+details|details|post-?mortem|review|investigat\w*|"
    r"prevent\w*|recurrence|happening\s+again|what\s+went\s+wrong|subsided|caught\s+up|"
    r"flowing|addressed)\b",
    re.IGNORECASE,
)


def _narrating(subject: Subject) -> list[tuple[int, int]]:
    """The spans of sentences that narrate more than status, impact or courtesy."""
    spans = []
    for offset, sentence in subject.sentences:
        # Read clause by clause: "The API was down for 12 minutes: our new rate limiter
        # rejected every request" reports impact, then narrates what did it.
        for clause in _CLAUSE.split(sentence):
            # Lowercase words only: "Managed Databases" is a product's name, not a mechanism.
            words = set(re.findall(r"\b[a-z]+\b", clause))
            if len(words) > 3 and (not _STATUS_OR_COURTESY.search(clause) or words & MECHANISM):
                spans.append((offset, offset + len(sentence.rstrip())))
                break
    return spans


_CLAUSE = lazy(r"[:;]\s+|,\s+(?:so|and|which|but)\s+|\s+(?:so|but)\s+")


# Having repaired something, without saying what caused it, may still imply it.
_REMEDY = lazy(
    r"\b(?:restart\w*|fail(?:ed)?\s*over|scal(?:ed|ing)\s+(?:up|out)|replac\w+|patch\w*|"
    r"(?:deployed|applied|implemented)\s+(?:a|the)\s+(?:\w+\s+)?fix|fix\s+(?:was|has\s+been)\s+"
    r"(?:deployed|applied|implemented)|rerout\w+|increas\w+\s+(?:the\s+)?(?:capacity|resources))",
    re.IGNORECASE,
)


def _newest(subject: Subject) -> tuple[UpdateKind | None, bool, bool]:
    """The kind of update the text speaks for, whether a cause is recorded, and a write-up date.

    Known only when the incident is given (as it is for every rendered message).
    """
    incident = subject.incident
    if incident is None or not incident.updates:
        return None, False, False
    update = incident.updates[-1]
    cause = update.cause or incident.cause
    return update.kind, bool(cause), update.postmortem_by is not None


@rule(
    "no-cause",
    Severity.ERROR,
    "A resolution that does not say what caused the incident.",
    rationale=(
        "A resolution is where customers learn what happened. If the cause is not known yet, "
        "say so and say when the write-up will explain it."
    ),
    bad="This incident has been resolved.",
    good="Resolved. It was caused by an expired TLS certificate on our API gateway; we now "
    "renew certificates 30 days before they expire.",
    bad_status=Status.RESOLVED,
    why="a resolution is where customers learn what happened; without a cause they cannot "
    "judge whether it will happen again",
    policy="An error when a resolution has no causal statement (no causal verb or connective "
    "with something concrete in the cause's place, no stated condition such as a bug or an "
    "expired certificate, no rolled-back change) and does not say the cause is still being "
    "established. A symptom in the cause's place ('elevated error rates caused failed "
    "logins'), 'this' or 'it' with no thing that can fail named before it ('This resulted "
    "in failed logins'), and acts any incident has ('took action', 'applied a mitigation', "
    "'taken steps to prevent this') state no cause. Nothing when it states a cause, "
    "however vague, that vague-cause reports. "
    "A warning when it describes the repair ('restarted', 'failed over', "
    "'deployed a fix') or has a shape that may carry a cause ('failed after a migration "
    "locked ...', '..., so requests timed out'), or when any clause narrates more than "
    "status, impact or courtesy ('the API was down: our new rate limiter rejected every "
    "request'): the rule cannot be sure there is none. "
    "With the incident known (every rendered message): a warning when a resolution says the "
    "cause is not yet known and no cause is recorded and no write-up date is given, since "
    "customers cannot tell when they will learn it. A published write-up is read as a "
    "write-up, not a resolution: no cause in it is an error (it is where the cause was "
    "promised), and saying the cause is still not known is a warning.",
)
def no_cause(subject: Subject) -> Iterator[Finding]:
    if not subject.final:
        return
    kind, has_cause, dated = _newest(subject)
    write_up = kind is UpdateKind.POSTMORTEM
    what = "the write-up" if write_up else "the resolution"
    if subject.still_investigating:
        found = STILL_INVESTIGATING.search(subject.text)
        start, end = found.span() if found else (0, len(subject.text))
        if write_up:
            yield no_cause.finding(
                subject,
                start,
                end,
                "the write-up says the cause is still not known: it is where customers were "
                "told they would learn it",
                "name the cause (--cause, or cause=), or say plainly why it could not be found",
                severity=Severity.WARNING,
            )
        elif kind is UpdateKind.RESOLVE and not has_cause and not dated:
            yield no_cause.finding(
                subject,
                start,
                end,
                "the resolution says the cause is not yet known and gives no date for a "
                "write-up: customers cannot tell when, or whether, they will learn it",
                "promise the write-up by a date (--postmortem-by, or postmortem_by=), or "
                "name the cause (--cause, or cause=)",
                severity=Severity.WARNING,
            )
        return
    statement = cause_statement(subject)
    if statement == "named":
        return
    if statement == "vague" and (any(vague_spans(subject)) or any(empty_causes(subject))):
        return  # vague-cause says what is wrong with the cause given
    remedy = _REMEDY.search(subject.text) or _MAYBE_CAUSAL.search(subject.text)
    narration = _narrating(subject)
    if remedy:
        start, end = remedy.span()
    elif narration:
        start, end = narration[0]
    else:
        start, end = 0, len(subject.text)
    unsure = bool(remedy or narration)
    yield no_cause.finding(
        subject,
        start,
        end,
        f"{what} tells what happened ('{subject.text[start:end]}') but says no cause in a "
        "way the rule can read for sure"
        if unsure
        else f"{what} does not say what caused the incident",
        "name the cause in the write-up (--cause, or cause=, or in what happened)"
        if write_up
        else "add the cause ('It was caused by ...'), or say it is not yet known and when the "
        "write-up will explain it",
        severity=Severity.WARNING if unsure else Severity.ERROR,
    )
