"""Candor checks: read a message the way an affected customer will, before it leaves.

:func:`check` runs every registered :class:`Rule` over a text and returns
:class:`Finding` objects: a stable code, a severity, the span, a one-line
explanation and a concrete suggestion. With an incident given, the facts in
the text are checked against it. Errors block delivery (unless explicitly
allowed with a reason, which is recorded); warnings are shown, never block.

Rules are registered with :func:`register` or through the entry-point group
``candor.checks`` (read on first use), the same way adapters are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from candor.errors import AdapterError, InputError
from candor.model import Status
from candor.vocabulary import Finding, Severity

if TYPE_CHECKING:
    from candor.model import Incident

__all__ = [
    "Finding",
    "Rule",
    "Severity",
    "Subject",
    "check",
    "register",
    "rules",
]


@dataclass(frozen=True)
class Subject:
    """What a rule looks at: the text and, when known, the facts it must agree with."""

    text: str
    incident: Incident | None = None
    status: Status | None = None
    channel: str | None = None
    public: bool = True

    @cached_property
    def lowered(self) -> str:
        return self.text.lower()

    @cached_property
    def words(self) -> frozenset[str]:
        """The text's words, lowercased: rules look here first, and skip their regex
        when none of their trigger words is present (most honest text trips none)."""
        return frozenset(_WORD.findall(self.lowered))

    def has_any(self, triggers: frozenset[str]) -> bool:
        return not self.words.isdisjoint(triggers)

    @cached_property
    def sentences(self) -> list[tuple[int, str]]:
        """(offset, sentence) pairs: split after . ! ? and at blank lines or bullets."""
        pieces = []
        for match in _SENTENCE.finditer(self.text):
            if match.group().strip():
                pieces.append((match.start(), match.group()))
        return pieces

    @cached_property
    def stage(self) -> Status | None:
        """The status the message speaks for: given, the incident's, or read from the text."""
        if self.status is not None:
            return self.status
        if self.incident is not None:
            return self.incident.status
        if _CLAIMS_RESOLVED.search(self.text):
            return Status.RESOLVED
        return None

    @cached_property
    def final(self) -> bool:
        return self.stage is Status.RESOLVED

    @cached_property
    def cause_known(self) -> bool:
        """Whether the cause is known: by status, or because the text says it was found."""
        if self.stage in (Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED):
            return not _STILL_INVESTIGATING.search(self.text)
        return bool(_CAUSE_FOUND.search(self.text)) and not _STILL_INVESTIGATING.search(self.text)


RuleFunction = Callable[[Subject], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A named check: ``code`` is stable, ``find`` yields findings for a subject.

    ``rationale``, ``bad`` and ``good`` document it (the rules page is built from
    them, and a test runs every rule on its own examples).
    """

    code: str
    severity: Severity
    summary: str
    rationale: str
    bad: str
    good: str
    find: RuleFunction = field(repr=False)
    bad_status: Status | None = None

    def finding(
        self,
        subject: Subject,
        start: int,
        end: int,
        message: str,
        suggestion: str,
        *,
        severity: Severity | None = None,
    ) -> Finding:
        return Finding(
            code=self.code,
            severity=severity or self.severity,
            start=start,
            end=end,
            excerpt=subject.text[start:end],
            message=message,
            suggestion=suggestion,
        )


_REGISTRY: dict[str, Rule] = {}
_PLUGINS_LOADED = False


def register(rule: Rule) -> Rule:
    """Add ``rule`` to the checks every message goes through; its code must be new."""
    if rule.code in _REGISTRY and _REGISTRY[rule.code] is not rule:
        raise InputError("rule.code", rule.code, "a rule with this code is already registered")
    _REGISTRY[rule.code] = rule
    return rule


def rules() -> list[Rule]:
    """Every registered rule, candor's own first, then plugins' (entry points ``candor.checks``)."""
    global _PLUGINS_LOADED
    if not _PLUGINS_LOADED:
        _PLUGINS_LOADED = True
        from importlib.metadata import entry_points

        for point in entry_points(group="candor.checks"):
            try:
                loaded = point.load()
            except Exception as exc:
                raise AdapterError(
                    point.name, f"check entry point {point.name} = {point.value} failed: {exc!r}"
                ) from exc
            if not isinstance(loaded, Rule):
                raise AdapterError(
                    point.name, f"check entry point {point.name} = {point.value} is not a Rule"
                )
            register(loaded)
    return list(_REGISTRY.values())


def check(
    text: str,
    *,
    incident: Incident | None = None,
    status: Status | str | None = None,
    channel: str | None = None,
    public: bool = True,
    only: Sequence[str] | None = None,
) -> list[Finding]:
    """Every finding for ``text``, in order of position.

    ``status`` is the status the message speaks for (defaults to the incident's,
    or is read from the text); ``public`` is False for internal channels, where
    host names and jargon are fine. ``only`` limits the run to some rule codes.
    """
    if not isinstance(text, str):
        raise InputError("text", text, "must be the message text, a string")
    subject = Subject(
        text=text,
        incident=incident,
        status=Status.parse(status) if status is not None else None,
        channel=channel,
        public=public,
    )
    found: list[Finding] = []
    for rule in rules():
        if only is None or rule.code in only:
            found.extend(rule.find(subject))
    found.sort(key=lambda f: (f.start, f.code))
    return found


def _rule(
    code: str,
    severity: Severity,
    summary: str,
    *,
    rationale: str,
    bad: str,
    good: str,
    bad_status: Status | None = None,
) -> Callable[[RuleFunction], Rule]:
    def decorate(function: RuleFunction) -> Rule:
        return register(
            Rule(
                code=code,
                severity=severity,
                summary=summary,
                rationale=rationale,
                bad=bad,
                good=good,
                find=function,
                bad_status=bad_status,
            )
        )

    return decorate


def _words(*alternatives: str) -> str:
    return "|".join(alternatives)


_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+(?=\s|$)|\n|$)|[^\n]+", re.MULTILINE)
_CLAIMS_RESOLVED = re.compile(
    r"\b(?:(?:is|been|are|now|fully|was)\s+(?:now\s+)?(?:fully\s+)?resolved"
    r"|resolved:|marking the incident resolved|incident is resolved)\b",
    re.IGNORECASE,
)
_CAUSE_FOUND = re.compile(
    r"\b(?:identified|found|determined|confirmed|isolated|traced)\b.{0,40}"
    r"\b(?:cause|issue|problem|bug|fault)\b"
    r"|\b(?:root cause|the cause)\b.{0,20}\b(?:was|is|as)\b"
    r"|\bfix(?:es)? (?:has|have) been (?:applied|implemented|deployed|rolled out)"
    r"|\b(?:mitigated|recovered|restored|rolled back|reverted)\b",
    re.IGNORECASE | re.DOTALL,
)
_STILL_INVESTIGATING = re.compile(
    r"\b(?:investigating (?:the )?(?:impact and )?(?:root )?cause"
    r"|working to (?:identify|determine|understand) the (?:root )?cause"
    r"|(?:cause|root cause) (?:is|remains) (?:still )?(?:unknown|under investigation|not yet known)"
    r"|(?:not yet|have not yet|haven't yet) (?:established|identified|determined|found) the cause"
    r"|continues to investigate to determine the root cause)\b",
    re.IGNORECASE,
)

# -- minimising -----------------------------------------------------------------------------

_PEOPLE = _words(
    "users?",
    "customers?",
    "end[- ]users",
    "visitors",
    "accounts",
    "tenants",
    "merchants",
    "people",
    "organi[sz]ations",
    "clients",
    "developers",
    "teams",
    "members",
    "subscribers",
    "sites",
    "projects",
    "zones",
    "requests",
    "services",
    "regions",
    "databases?",
    "(?:database )?clusters",
    "instances",
)
_SYMPTOMS = _words(
    "slowness",
    "delays?",
    "errors",
    "issues",
    "latency",
    "disruption",
    "degradation",
    "failures",
    "impact",
    "interruptions",
)
_MINIMISING = re.compile(
    r"\b(?:"
    r"(?:a\s+|this\s+|these\s+)?(?:very\s+|relatively\s+)?(?:small|tiny|limited|minor)\s+"
    r"(?:number|subset|percentage|fraction|portion|proportion|set|group|share|amount)\s+of"
    r"|a\s+(?:very\s+)?(?:subset|handful|fraction|portion)\s+of"
    r"|a\s+few\s+(?:" + _PEOPLE + r")"
    r"|(?:only|just|merely)\b"
    r"|minor|brief(?:ly)?|slight(?:ly)?|negligible|minimal"
    r"|(?<!rate[- ])(?<!rate )limited(?!\s+to\b)"
    r"|some\s+(?:of\s+(?:the|our)\s+)?(?:[\w-]+\s+){0,2}?(?:" + _PEOPLE + r")\b"
    r"|some\s+(?:of\s+(?:the|our)\s+)?[\w-]+\s+(?:may|might|could)\b"
    r"|some\s+(?:" + _SYMPTOMS + r")\b"
    r")",
    re.IGNORECASE,
)


_MINIMISING_TRIGGERS = frozenset(
    [
        "brief",
        "briefly",
        "few",
        "fraction",
        "handful",
        "just",
        "limited",
        "merely",
        "minimal",
        "minor",
        "negligible",
        "only",
        "portion",
        "proportion",
        "slight",
        "slightly",
        "small",
        "some",
        "subset",
        "tiny",
    ]
)


@_rule(
    "minimizing",
    Severity.ERROR,
    "Shrinks the scope, severity or duration instead of stating it.",
    rationale=(
        "For the customers it hits, a partial outage is a full outage. 'Only a small number "
        "of users' tells the ones affected that their problem does not matter; state the "
        "fraction or count, and tell them plainly that it is broken for them."
    ),
    bad="Only a small subset of customers may see brief errors.",
    good="Checkout fails for 1.2% of our customers (1,843 accounts). If you are one of them, "
    "checkout does not work for you at all.",
)
def _minimizing(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_MINIMISING_TRIGGERS):
        return
    rule = _REGISTRY["minimizing"]
    for match in _MINIMISING.finditer(subject.text):
        word = match.group()
        yield rule.finding(
            subject,
            match.start(),
            match.end(),
            f"'{word}' shrinks the problem for the customers it hits",
            "state the scope precisely (components, regions, fraction or count of customers) "
            "and say plainly that it is broken for them",
        )


# -- hedging --------------------------------------------------------------------------------

_MODALS = frozenset({"may", "might", "could"})
_HEDGE = re.compile(
    r"\b(?:may|might|could)\s+(?:still\s+|also\s+)?(?:have\s+)?(?:been\s+|be\s+)?(?:still\s+)?"
    r"(?:\w+ly\s+)?"
    r"(?:experienc\w*|see[ns]?|seeing|saw|observ\w*|notic\w*|encounter\w*|result\w*|caus\w*|"
    r"affect\w*|impact\w*|fac\w+|receiv\w*|get|got|hit|fail\w*|stale|delayed|unavailable|"
    r"slow\w*|unable|missing|lost)\b",
    re.IGNORECASE,
)


@_rule(
    "hedging",
    Severity.ERROR,
    "Hedges an impact that is already known ('may be experiencing').",
    rationale=(
        "Once the cause is identified, or after the fact, 'may have experienced' is not "
        "caution but evasion: you know who was hit. Say what happened to them."
    ),
    bad="Users may have experienced errors between 14:00 and 14:30 UTC.",
    good="Between 14:00 and 14:30 UTC, 12% of API requests in eu-west failed with HTTP 503.",
    bad_status=Status.RESOLVED,
)
def _hedging(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_MODALS) or not subject.cause_known:
        return
    rule = _REGISTRY["hedging"]
    for match in _HEDGE.finditer(subject.text):
        yield rule.finding(
            subject,
            match.start(),
            match.end(),
            f"'{match.group()}' hedges an impact that is already known",
            "say what happens (or happened) to the affected customers, as a fact",
        )


# -- rote apology ---------------------------------------------------------------------------

_ROTE = re.compile(
    r"\b(?:(?:for|about)\s+(?:any|the|this|all)\s+(?:\w+\s+)?inconvenience\w*"
    r"|inconvenience\s+(?:this|that|caused|it)\b[^.!?\n]*"
    r"|(?:we\s+)?take\s+(?:this|it|these\s+\w+|the\s+\w+\s+of\s+\w+)\s+(?:very\s+)?seriously"
    r"|apologi[sz]e\s+for\s+any\s+(?:\w+\s+)?(?:trouble|issues|disruption|problems|confusion)"
    r"|sorry\s+for\s+any\s+(?:\w+\s+)?(?:trouble|issues|disruption|problems|confusion)"
    r"|regret\s+any\s+(?:\w+\s+)?(?:trouble|issues|disruption|problems|confusion)"
    r"|(?:we\s+)?value\s+your\s+(?:business|patience|trust)"
    r")",
    re.IGNORECASE,
)


_ROTE_TRIGGERS = frozenset(
    [
        "apologise",
        "apologize",
        "inconvenience",
        "inconvenienced",
        "regret",
        "seriously",
        "sorry",
        "value",
    ]
)


@_rule(
    "rote-apology",
    Severity.ERROR,
    "An apology by rote ('any inconvenience', 'we take this seriously').",
    rationale=(
        "'Any inconvenience' suggests there may have been none, and customers have read it "
        "a thousand times. Say what you are sorry for: the checkout that failed, the "
        "data that was late."
    ),
    bad="We apologize for any inconvenience this may have caused.",
    good="We are sorry: for 40 minutes you could not take payments in eu-west.",
)
def _rote_apology(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_ROTE_TRIGGERS):
        return
    rule = _REGISTRY["rote-apology"]
    for match in _ROTE.finditer(subject.text):
        yield rule.finding(
            subject,
            match.start(),
            match.end(),
            f"'{match.group().strip()}' is an apology by rote",
            "apologise for what actually happened to customers, specifically",
        )


# -- vague cause ----------------------------------------------------------------------------

_VAGUE_HEAD = r"(?:issues?|problems?|glitch(?:es)?|degradation|instability|difficulties)"
_VAGUE_MODIFIER = _words(
    "technical",
    "internal",
    "underlying",
    "unforeseen",
    "unexpected",
    "service",
    "systems?",
    "network(?: performance)?",
    "performance",
    "connectivity",
    "dns",
    "routing",
    "auth",
    "infrastructure",
    "platform",
    "general",
    "backend",
    "cloud provider",
    "provider",
    "third[- ]party",
    "upstream",
    "aws",
    "azure",
    "gcp",
)
_VAGUE_CAUSE = re.compile(
    r"\b(?:"
    r"(?:a|an|the|some|this|these|our)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:" + _VAGUE_MODIFIER + r")\s+(?:[\w-]+\s+)?" + _VAGUE_HEAD + r"\b"
    r"|(?:a|an|the|some)\s+glitch(?:es)?"
    r"|(?:a|an)\s+(?:[\w-]+\s+){0,2}" + _VAGUE_HEAD + r"\s+(?:has|have|was|were)\s+been\s+"
    r"(?:identified|found|fixed|resolved)"
    r"|(?:a|an)\s+(?:[\w-]+\s+){0,1}" + _VAGUE_HEAD + r"\s+(?:has|was)\s+(?:identified|found)"
    r"|(?:an?|the|these|this)\s+" + _VAGUE_HEAD + r"\s+(?:that|which)\s+"
    r"(?:caused|led\s+to|resulted\s+in|impacted|affected|may\s+have\s+caused)"
    r"|(?:identified|experiencing|experienced|encountered|had|found|seeing)\s+"
    r"(?:" + _VAGUE_MODIFIER + r")\s+(?:[\w-]+\s+)?" + _VAGUE_HEAD + r"\b"
    r"|(?:due\s+to|caused\s+by|because\s+of|result\s+of|related\s+to)\s+(?:a|an|the|some)?\s*"
    r"(?:[\w-]+\s+){0,2}?(?:" + _VAGUE_MODIFIER + r")\s+(?:[\w-]+\s+)?" + _VAGUE_HEAD + r"\b"
    r")",
    re.IGNORECASE,
)
_NAMES_CAUSE = re.compile(
    r"\b(?:caused\s+by|due\s+to|because(?:\s+of)?|triggered\s+by|result(?:ed)?\s+of|"
    r"stemm(?:ed|ing)\s+from|traced\s+(?:it\s+)?to|the\s+(?:root\s+)?cause\s+(?:was|is|as)|"
    r"root\s+cause\s+as|what\s+caused\s+it|cause:|this\s+was\s+(?:a|an)\b|were\s+caused|"
    r"was\s+caused|came\s+from|originated\s+(?:in|from))",
    re.IGNORECASE,
)


_VAGUE_TRIGGERS = frozenset(
    [
        "degradation",
        "difficulties",
        "glitch",
        "glitches",
        "instability",
        "issue",
        "issues",
        "problem",
        "problems",
    ]
)


@_rule(
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
)
def _vague_cause(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_VAGUE_TRIGGERS):
        return
    rule = _REGISTRY["vague-cause"]
    for match in _VAGUE_CAUSE.finditer(subject.text):
        yield rule.finding(
            subject,
            match.start(),
            match.end(),
            f"'{match.group()}' names no cause",
            "say what broke (a configuration change, an expired certificate, a full disk), "
            "or say plainly that the cause is not known yet",
        )


@_rule(
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
)
def _no_cause(subject: Subject) -> Iterator[Finding]:
    if not subject.final:
        return
    if _NAMES_CAUSE.search(subject.text) or _STILL_INVESTIGATING.search(subject.text):
        return
    yield _REGISTRY["no-cause"].finding(
        subject,
        0,
        len(subject.text),
        "the resolution does not say what caused the incident",
        "add the cause ('It was caused by ...'), or say it is not yet known and when the "
        "write-up will explain it",
    )


# -- blaming others -------------------------------------------------------------------------

_THIRD_PARTY = re.compile(
    r"\b(?:(?:our|an?|the)\s+(?:upstream\s+|cloud\s+|third[- ]party\s+|network\s+|hosting\s+|"
    r"dns\s+|external\s+)?(?:provider|vendor|carrier|partner|supplier|isp|certificate authority)"
    r"|third[- ]party|upstream|aws|amazon web services|azure|google cloud|gcp|"
    r"on the (?:carrier|provider|vendor)(?:'s)? side)\b",
    re.IGNORECASE,
)
_BLAME_LINK = re.compile(
    r"\b(?:due\s+to|caused\s+by|because\s+of|result\s+of|related\s+to|cause\s+(?:of|was)|"
    r"confirmed\s+as|outage\s+(?:with|from|at)|failures?\s+(?:in|at|with)|issue\s+(?:with|at))\b",
    re.IGNORECASE,
)
_OWNS = re.compile(
    r"\b(?:we|our)\b[^.!?\n]{0,60}\b(?:responsib\w*|should\s+have|failed\s+to|chose|choice|"
    r"decision|depend\w*|rely|relied|single\s+point|no\s+fallback|redundan\w*|fail\s*over|"
    r"will\s+(?:add|build|remove|reduce|change|move|stop|make))",
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


@_rule(
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
)
def _blames_others(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_PARTY_TRIGGERS):
        return
    if _OWNS.search(subject.text):
        return
    rule = _REGISTRY["blames-others"]
    for offset, sentence in subject.sentences:
        party = _THIRD_PARTY.search(sentence)
        if party and _BLAME_LINK.search(sentence):
            yield rule.finding(
                subject,
                offset + party.start(),
                offset + party.end(),
                f"the cause is put on '{party.group()}' and nothing owns the outcome",
                "say what in your own setup made their failure yours, and what you will change",
            )
            return


# -- promising a fix time -------------------------------------------------------------------

_DURATION = (
    r"(?:\d+(?:\.\d+)?|an?|one|two|three|four|five|six|ten|fifteen|thirty|a\s+few|the\s+next)"
    r"(?:\s*-\s*\d+)?\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?)"
)
_CLOCK = r"\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?\s*(?:UTC|GMT|[A-Z]{2,5})?"
_FIX_TIME = re.compile(
    r"\b(?:(?:will|should|expect\w*|going\s+to)\s+(?:\w+\s+){0,5}?"
    r"(?:be\s+)?(?:resolved|fixed|restored|back(?:\s+up|\s+online)?|recover\w*|recovery|"
    r"operational|working)"
    r"\s+(?:\w+\s+){0,2}?(?:in|within|by|before)\s+(?:approximately\s+|about\s+|around\s+)?"
    r"(?:" + _DURATION + r"|" + _CLOCK + r")"
    r"|(?:expect|should|will)\w*\s+(?:\w+\s+){0,4}?(?:be\s+)?(?:resolved|fixed|restored)\s+"
    r"(?:soon|shortly|quickly|momentarily))",
    re.IGNORECASE,
)


_FIX_TRIGGERS = frozenset(["expect", "expected", "expecting", "expects", "going", "should", "will"])


@_rule(
    "fix-time",
    Severity.WARNING,
    "Promises when it will be fixed.",
    rationale=(
        "A fix time is a promise you do not control, and a missed one costs more trust than "
        "it bought. Promise the next update, which you do control."
    ),
    bad="This will be resolved in 10 minutes.",
    good="We are rolling back the change. Next update by 14:30 UTC.",
)
def _fix_time(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_FIX_TRIGGERS):
        return
    if subject.final:
        return
    rule = _REGISTRY["fix-time"]
    for match in _FIX_TIME.finditer(subject.text):
        yield rule.finding(
            subject,
            match.start(),
            match.end(),
            f"'{match.group()}' promises a fix time",
            "promise the time of the next update instead, and say what is being done",
        )


# -- internal details -----------------------------------------------------------------------

_HOST = re.compile(
    r"\b(?:(?:10|127)\.\d{1,3}\.\d{1,3}\.\d{1,3}"
    r"|192\.168\.\d{1,3}\.\d{1,3}"
    r"|172\.(?:1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}"
    r"|[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:internal|local|lan|corp|intra|localdomain|svc)"
    r"|(?:ip|db|web|app|api|k8s|node|worker|host|srv|prod|stg|staging)-[a-z0-9-]*\d[a-z0-9-]*"
    r"(?:\.[a-z0-9-]+)+)\b",
    re.IGNORECASE,
)
_DOTTED_DIGITS = re.compile(r"\d\.\d+\.\d")
_HOST_MARKERS = (
    ".internal", ".local", ".lan", ".corp", ".intra", ".svc",
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
    ]
)
_JARGON_CODES = re.compile(r"\b(?:SEV-?\d|P[0-4]|INC-\d|JIRA-\d)")
_JARGON = re.compile(
    r"\b(?:RCA|SEV-?\d|P[0-4]|INC-\d+|JIRA-\d+|on-?call|k8s|kubectl|pods?|OOM(?:Killed)?|"
    r"CrashLoopBackOff|hotfix(?:ed)?|canary|blast radius|runbook|pager|PagerDuty|SRE|SLO|SLI|"
    r"p99|p95|RPS|QPS|shard\s+\d+|etcd|hypervisor)\b"
)


@_rule(
    "internal-detail",
    Severity.ERROR,
    "Host names, private addresses or internal jargon in a public message.",
    rationale=(
        "Customers cannot act on 'db-prod-7.internal' or 'SEV1', and internal addresses help "
        "attackers. Say what customers see, in their words."
    ),
    bad="SEV1: db-prod-7.internal is OOMKilled; the on-call is on it.",
    good="Our database for the EU region ran out of memory; we are moving it to a larger server.",
)
def _internal_detail(subject: Subject) -> Iterator[Finding]:
    if not subject.public:
        return
    rule = _REGISTRY["internal-detail"]
    lowered = subject.lowered
    looks_like_host = ("." in lowered and _DOTTED_DIGITS.search(lowered)) or (
        ("-" in lowered or ".i" in lowered or ".l" in lowered or ".c" in lowered or ".s" in lowered)
        and any(marker in lowered for marker in _HOST_MARKERS)
    )
    for match in _HOST.finditer(subject.text) if looks_like_host else ():
        yield rule.finding(
            subject,
            match.start(),
            match.end(),
            f"'{match.group()}' is an internal host or address",
            "describe the part of the service customers know (the EU database, the API)",
        )
    if subject.has_any(_JARGON_WORDS) or _JARGON_CODES.search(subject.text):
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


# -- scope ----------------------------------------------------------------------------------

_WHO = re.compile(
    r"\b(?:all|every|everyone|any|none|no)\b|\d|%|\b(?:" + _PEOPLE + r")\b",
    re.IGNORECASE,
)


@_rule(
    "no-scope",
    Severity.WARNING,
    "Does not say what is affected and for whom.",
    rationale=(
        "Customers read a status update to learn whether it is them. Name the component and "
        "who is hit: the region, the fraction or count, or 'all customers'."
    ),
    bad="We are investigating reports of errors.",
    good="The API is down in eu-west for 1.2% of our customers (1,843 accounts).",
)
def _no_scope(subject: Subject) -> Iterator[Finding]:
    rule = _REGISTRY["no-scope"]
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


# -- the next update ------------------------------------------------------------------------

_NEXT_UPDATE_PLAIN = re.compile(
    r"\bnext update (?:by \d{1,2}:\d{2}|in \d+ (?:minutes?|hours?))", re.IGNORECASE
)
_UPDATE_PROMISE = re.compile(
    r"\b(?:next\s+update|(?:will|'ll|shall|to)\s+(?:\w+\s+){0,4}?"
    r"(?:update|updates|post|provide|share|send|publish|communicate|report|be\s+back)"
    r"|(?:another|further|additional|more)\s+(?:\w+\s+)?updates?|updates?\s+every"
    r"|update\s+again)\b",
    re.IGNORECASE,
)
_UPDATE_TIME = re.compile(
    r"\b(?:by|at|before|around)\s+" + _CLOCK + r"(?=\W|$)"
    r"|\b(?:in|within|every)\s+(?:the\s+next\s+)?(?:approximately\s+|about\s+|around\s+)?"
    + _DURATION,
    re.IGNORECASE,
)


@_rule(
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
)
def _no_next_update(subject: Subject) -> Iterator[Finding]:
    if subject.final or _NEXT_UPDATE_PLAIN.search(subject.text):
        return
    for _, sentence in subject.sentences:
        if _UPDATE_PROMISE.search(sentence) and _UPDATE_TIME.search(sentence):
            return
    yield _REGISTRY["no-next-update"].finding(
        subject,
        0,
        len(subject.text),
        "no time is given for the next update",
        "end with 'Next update by HH:MM UTC' (or 'in 30 minutes')",
    )


# -- facts against the incident -------------------------------------------------------------

_PERCENT_OF = re.compile(
    r"(\d+(?:\.\d+)?(?:e-?\d+)?)\s?%\s+of\s+(?:our\s+|the\s+|all\s+)?(?:[\w-]+\s+)?"
    r"(?:" + _PEOPLE + r")",
    re.IGNORECASE,
)
_NEXT_AT = re.compile(r"\bnext\s+update\s+by\s+(\d{1,2}):(\d{2})\s*(UTC|GMT)\b", re.IGNORECASE)
_STATUS_WORDS = {
    Status.RESOLVED: _CLAIMS_RESOLVED,
    Status.MONITORING: re.compile(r"\b(?:we are|we're|now)\s+monitoring\b", re.IGNORECASE),
}


@_rule(
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
)
def _contradicts(subject: Subject) -> Iterator[Finding]:
    incident = subject.incident
    if incident is None:
        return
    rule = _REGISTRY["contradicts-incident"]
    scope = incident.scope
    if scope.affected_fraction is not None:
        expected = scope.affected_fraction * 100
        for match in _PERCENT_OF.finditer(subject.text) if "%" in subject.text else ():
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
        counted = _counted(noun)
        for match in counted.finditer(subject.text) if noun in subject.lowered else ():
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
    due = incident.next_update_by
    if due is None or "next update by" not in subject.lowered:
        return
    for match in _NEXT_AT.finditer(subject.text):
        said_time = (int(match.group(1)), int(match.group(2)))
        due_utc = due.astimezone(UTC)
        if said_time != (due_utc.hour, due_utc.minute):
            yield rule.finding(
                subject,
                match.start(),
                match.end(),
                f"the text promises {match.group(1)}:{match.group(2)} UTC; the incident "
                f"promises {due_utc:%H:%M} UTC",
                "promise the same next-update time on every channel",
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
