"""Audience rules: whether a public message speaks the customer's language and says who is hit."""

from __future__ import annotations

import re
from collections.abc import Iterator

from candor.checks._pattern import lazy
from candor.checks._rule import Rule, rule
from candor.checks._subject import Subject
from candor.checks._words import PEOPLE_PATTERN
from candor.vocabulary import Finding, Severity

_HOST = lazy(
    r"\b(?:(?:10|127)\.\d{1,3}\.\d{1,3}\.\d{1,3}"
    r"|192\.168\.\d{1,3}\.\d{1,3}"
    r"|172\.(?:1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}"
    r"|[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:internal|local|lan|corp|intra|localdomain|svc)"
    r"|(?:ip|db|web|app|api|k8s|node|worker|host|srv|prod|stg|staging)-[a-z0-9-]*\d[a-z0-9-]*"
    r"(?:\.[a-z0-9-]+)+)\b",
    re.IGNORECASE,
)
_DOTTED_DIGITS = lazy(r"\d\.\d+\.\d")
_HOST_SUFFIXES = (".internal", ".local", ".lan", ".corp", ".intra", ".svc")
_HOST_PREFIXES = (
    "ip-", "db-", "web-", "app-", "api-", "k8s-", "node-", "worker-", "host-", "srv-",
    "prod-", "stg-", "staging-",
)  # fmt: skip
_JARGON_WORDS = frozenset(
    [
        "rca",
        "on-call",
        "oncall",
        "k8s",
        "kubectl",
        "pod",
        "pods",
        "oom",
        "oomkilled",
        "crashloopbackoff",
        "hotfix",
        "hotfixed",
        "canary",
        "blast",
        "runbook",
        "pager",
        "pagerduty",
        "sre",
        "slo",
        "sli",
        "p99",
        "p95",
        "rps",
        "qps",
        "shard",
        "etcd",
        "hypervisor",
        "p0",
        "p1",
        "p2",
        "p3",
        "p4",
    ]
)
_JARGON_CODES = lazy(r"\b(?:SEV-?\d|P[0-4]|INC-\d|JIRA-\d)")
_JARGON = lazy(
    r"\b(?:RCA|SEV-?\d|P[0-4]|INC-\d+|JIRA-\d+|on-?call|k8s|kubectl|pods?|OOM(?:Killed)?|"
    r"CrashLoopBackOff|hotfix(?:ed)?|canary|blast radius|runbook|pager|PagerDuty|SRE|SLO|SLI|"
    r"p99|p95|RPS|QPS|shard\s+\d+|etcd|hypervisor)\b"
)


@rule(
    "internal-detail",
    Severity.ERROR,
    "Host names, private addresses or internal jargon in a public message.",
    rationale=(
        "Customers cannot act on 'db-prod-7.internal' or 'SEV1', and internal addresses help "
        "attackers. Say what customers see, in their words."
    ),
    bad="SEV1: db-prod-7.internal is OOMKilled; the on-call is on it.",
    good="Our database for the EU region ran out of memory; we are moving it to a larger server.",
    why="a customer cannot act on a machine's name or an internal code, and addresses help "
    "attackers",
    policy="A host name or private address is an error: it is unmistakable and never belongs in "
    "public. Jargon is a warning: some of it ('canary', 'pods') is plain English too.",
)
def internal_detail(subject: Subject) -> Iterator[Finding]:
    if not subject.public:
        return
    rule = internal_detail
    lowered = subject.lowered
    # Cheap signs first: the host pattern is costly to try over the whole text.
    looks_like_host = (
        ("." in lowered and _DOTTED_DIGITS.search(lowered) is not None)
        or any(word.startswith(_HOST_PREFIXES) for word in subject.words if "-" in word)
        or ("." in lowered and any(suffix in lowered for suffix in _HOST_SUFFIXES))
    )
    for match in _HOST.finditer(subject.text) if looks_like_host else ():
        yield rule.finding(
            subject,
            match.start(),
            match.end(),
            f"'{match.group()}' is an internal host or address",
            "describe the part of the service customers know (the EU database, the API)",
        )
    if subject.has_any(_JARGON_WORDS) or (
        any(word.startswith(("sev", "inc-", "jira-")) for word in subject.words)
        and _JARGON_CODES.search(subject.text)
    ):
        yield from _jargon(subject, rule)


def _jargon(subject: Subject, rule: Rule) -> Iterator[Finding]:
    for match in _JARGON.finditer(subject.text):
        yield rule.finding(
            subject,
            match.start(),
            match.end(),
            f"'{match.group()}' is internal jargon",
            "say it in words customers use",
            severity=Severity.WARNING,
        )


# Who or what is affected, named: people, a share or count of them, a region, or a part of
# the service customers know. A figure alone is not a scope: "Next update by 14:30 UTC"
# says when, not who.
_WHO = lazy(
    r"\b(?:" + PEOPLE_PATTERN + r"|everyone|everybody|nobody)\b"
    r"|\d\s?%|\bper\s?cent\b"
    r"|\b(?:all|every|no|none\s+of)\s+(?:\w+\s+){0,2}?(?:" + PEOPLE_PATTERN + r")\b"
    r"|\b(?:[a-z]{2,4}-(?:north|south|east|west|central|northeast|northwest|southeast|"
    r"southwest)\w*(?:-\d)?|(?:eu|us|uk|apac|emea|latam|asia|europe|africa|oceania|america|"
    r"australia|canada|india|japan|brazil)(?:\s+region)?)\b"
    r"|\b(?:api|apis|dashboard|website|site|app|apps|checkout|login|logins|sign-?in|payments?|"
    r"webhooks?|e-?mail|email|notifications?|search|uploads?|downloads?|billing|database|"
    r"storage|dns|cdn|network|console|portal|builds?|deploy(?:ment)?s?|pipelines?|"
    r"integrations?|mobile|ios|android|web)\b",
    re.IGNORECASE,
)


@rule(
    "no-scope",
    Severity.WARNING,
    "Does not say what is affected and for whom.",
    rationale=(
        "Customers read a status update to learn whether it is them. Name the component and "
        "who is hit: the region, the fraction or count, or 'all customers'."
    ),
    bad="We are investigating reports of errors.",
    good="The API is down in eu-west for 1.2% of our customers (1,843 accounts).",
    why="customers read an update to learn whether it is them",
    policy="With an incident given, naming none of its components is an error (the facts are "
    "known and the text leaves them out). Without one, a missing 'who' is a warning: the text "
    "may name the product in words the rule cannot know.",
)
def no_scope(subject: Subject) -> Iterator[Finding]:
    rule = no_scope
    incident = subject.incident
    if incident is not None:
        lowered = subject.lowered
        named = [c for c in incident.scope.components if c.lower() in lowered]
        if not named:
            yield rule.finding(
                subject,
                0,
                len(subject.text),
                "the message names none of the affected components "
                f"({', '.join(incident.scope.components)})",
                "say what is broken, by the name customers know it by",
                severity=Severity.ERROR,
            )
        return
    if not _WHO.search(subject.text):
        yield rule.finding(
            subject,
            0,
            len(subject.text),
            "the message does not say who is affected",
            "say who is hit: the region, the fraction or count of customers, or 'all customers'",
        )


RULES: list[Rule] = [internal_detail, no_scope]
