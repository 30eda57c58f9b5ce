"""Cause rules: a cause that explains nothing, a resolution without one, blame put elsewhere.

A cause is recognised by the shape of a causal statement, in any voice and
tense: something that happened or held (an event, a condition), a causal verb
or connective ("caused", "led to", "resulted in", "due to", "because",
"triggered", "introduced", "ran out of ..., which stopped ..."), and an
effect. What fills the cause's place decides whether it explains anything: "a
change to our load balancers" does, "a technical issue" does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from candor.checks._pattern import lazy
from candor.checks._rule import Rule, rule
from candor.checks._subject import Subject
from candor.model import Status
from candor.vocabulary import Finding, Severity

# -- what fills the cause's place -----------------------------------------------------------

# Nouns that name trouble without saying what it was. "Issue"-like heads never explain a
# cause, whatever qualifies them ("DNS issues" still says nothing about what broke);
# "outage"-like ones explain nothing only when all that qualifies them is generic ("an
# unexpected service outage"), not when it names a thing ("a power outage").
_ISSUE_HEADS = (
    r"(?:issues?|problems?|glitch(?:es)?|degradation|instability|difficult(?:y|ies)|hiccups?|"
    r"anomal(?:y|ies)|faults?|malfunctions?|irregularit(?:y|ies)|abnormalit(?:y|ies)|"
    r"challenges|circumstances|factors)"
)
_EVENT_HEADS = (
    r"(?:errors?|failures?|outages?|incidents?|disruptions?|events?|situation|conditions?|"
    r"behaviou?r|interruptions?|complications?)"
)
_GENERIC = (
    r"(?:internal|unexpected|unforeseen|unanticipated|technical|service|system|systems|partial|"
    r"temporary|general|unknown|underlying|intermittent|specific|certain|isolated|platform|"
    r"infrastructure|backend|upstream|third[- ]party|provider|vendor(?:-side)?|network|"
    r"datacenter|data\s+center|operational|transient|sporadic|an|unplanned|wider|broader|"
    r"larger|major|significant|an\s+internal)"
)
# A tail that points at nothing in particular keeps the noun phrase vague.
_VAGUE_TAIL = (
    r"(?:\s+(?:with|in|on|at|of|from|affecting|within)\s+(?:(?:an?|the|our|one\s+of\s+our|some)\s+)?"
    r"(?:(?:internal|underlying|upstream|downstream|third[- ]party|external|backend|core|cloud|"
    r"specific|certain|one\s+of\s+our)\s+)*"
    r"(?:services?|systems?|platform|infrastructure|provider|vendor|network|components?|"
    r"dependenc(?:y|ies)|backend|partner|side|end))?"
)
# Up to three words before the head, none of which ends the phrase.
_MODIFIERS = (
    r"(?:(?!(?:and|or|but|which|that|was|were|is|are|has|have|to|by|for)\b)[\w’'/&.-]+\s+){0,3}?"
)
_DETERMINER = (
    r"(?:(?:an?|the|some|this|these|those|our|its|their|several|multiple|all\s+known)\s+)?"
)
_VAGUE_NP = (
    r"(?:"
    + _DETERMINER
    + _MODIFIERS
    + _ISSUE_HEADS
    + r"\b"
    + _VAGUE_TAIL
    + r"|"
    + _DETERMINER
    + r"(?:"
    + _GENERIC
    + r"\s+){0,3}(?P<event>"
    + _EVENT_HEADS
    + r")\b"
    + _VAGUE_TAIL
    + r"(?!\s+(?:at|in|of|on|with|from)\s))"
)
# Load named as a cause without its source.
_LOAD = (
    r"(?:an?\s+)?(?:large\s+|sudden\s+|unexpected\s+|significant\s+)?(?:spike|surge|increase|jump)\s+"
    r"(?:in|of)\s+(?:traffic|load|requests|demand|usage)"
)
_CONNECTIVE = (
    r"(?:due\s+to|caused\s+by|because\s+of|(?:the\s+)?results?\s+of|resulted\s+from|related\s+"
    r"to|stem(?:s|med|ming)?\s+from|owing\s+to|traced\s+(?:back\s+)?to|attributed\s+to|"
    r"triggered\s+by|originat\w+\s+(?:in|from)|came\s+from|as\s+a\s+result\s+of|"
    r"(?:root\s+)?cause\s+(?:was|is|has\s+been\s+identified\s+as)|found\s+to\s+be|"
    r"turned\s+out\s+to\s+be)"
)
_VAGUE_AFTER_CONNECTIVE = lazy(
    r"\b" + _CONNECTIVE + r"\s+(?P<np>" + _VAGUE_NP + r")(?=\s*(?:[.,;:!?)\n]|$|and\b|which\b|"
    r"that\b|on\b|at\b|in\b|between\b|from\b|during\b|for\b|with\b|<))",
    re.IGNORECASE,
)
# The trouble as the subject of a causal verb: "an issue that impacted", "issues which
# caused", "scaling issues, which delayed". Read from the head noun: what follows it is the
# verb, what precedes it the rest of the noun phrase.
_CAUSAL_AFTER_HEAD = lazy(
    _VAGUE_TAIL + r"\s*,?\s+(?:that\s+|which\s+)?(?:(?:also|potentially|possibly|likely)\s+)*"
    r"(?:(?:may|might|could|would)\s+)?(?:(?:has|have|had)\s+)?(?:(?:also|potentially)\s+)?"
    r"(?P<verb>caused|led\s+to|resulted\s+in|impacted|affected|triggered|prevented|disrupted|"
    r"delayed|degraded|causing|impacting|affecting)\b",
    re.IGNORECASE,
)
_ISSUE_HEAD = lazy(r"\b" + _ISSUE_HEADS + r"\b", re.IGNORECASE)
_EVENT_HEAD = lazy(r"\b" + _EVENT_HEADS + r"\b", re.IGNORECASE)
_LEAD = r"\b(?:an?|the|some|this|these|those|our|its|their|several|multiple|all\s+known)\s+"
_BEFORE_ISSUE = lazy(_LEAD + r"(?:[\w’'/&.-]+\s+){0,3}$", re.IGNORECASE)
_BEFORE_EVENT = lazy(r"(?:" + _LEAD + r")?(?:" + _GENERIC + r"\s+){0,3}$", re.IGNORECASE)


# A noun of trouble with a definite or demonstrative determiner refers back to the incident;
# as the subject of a verb of effect it tells the impact, not the cause.
_REFERS_BACK = lazy(r"\s*(?:the|this|these|that|those|its)\s", re.IGNORECASE)
_EFFECT_VERB = lazy(
    r"(?:impacted|affected|disrupted|degraded|prevented|delayed|impacting|affecting)", re.I
)


def _vague_subjects(subject: Subject, pos: int, endpos: int) -> Iterator[tuple[int, int, str]]:
    """(start, end, verb) of each vague noun phrase that is the subject of a causal verb."""
    text = subject.text
    for head_pattern, before in ((_ISSUE_HEAD, _BEFORE_ISSUE), (_EVENT_HEAD, _BEFORE_EVENT)):
        for head in head_pattern.finditer(text, pos, endpos):
            after = _CAUSAL_AFTER_HEAD.match(text, head.end())
            if after is None:
                continue
            if head_pattern is _EVENT_HEAD and before.search(text, max(0, head.start() - 60),
                                                              head.start()) is None:  # fmt: skip
                continue
            lead = before.search(text, max(0, head.start() - 60), head.start())
            start = lead.start() if lead and lead.group() else head.start()
            if head_pattern is _EVENT_HEAD and lead is not None and lead.group() == "":
                # an event noun with nothing generic before it may be specific ("power outage")
                word_before = re.search(
                    r"(\w+)\s+$", text[max(0, head.start() - 30) : head.start()]
                )
                if word_before and not re.fullmatch(_GENERIC, word_before.group(1), re.I):
                    continue
            verb = after.group("verb").lower()
            if _EFFECT_VERB.fullmatch(verb) and _REFERS_BACK.match(text, start):
                continue  # "The incident impacted all writes": the incident, not its cause
            yield start, head.end(), verb


# The trouble as what was found: "we identified an internal systems issue".
_VAGUE_FOUND = lazy(
    r"\b(?:identified|found|determined|confirmed|isolated|had|encountered|experienced|"
    r"traced)\s+(?P<np>(?:(?:an?|some|several|multiple)\s+|(?=(?!(?:the|this|that|these|those|"
    r"our|its|their)\b)[\w-]+\s+(?:issues?|problems?)))"
    + _MODIFIERS
    + _ISSUE_HEADS
    + r"\b"
    + _VAGUE_TAIL
    + r")"
    ""
    r"|(?P<np2>(?:an?|some)\s+" + _MODIFIERS + _ISSUE_HEADS + r")\s+(?:has|have|was|were)\s+"
    r"(?:been\s+)?(?:identified|found|fixed|resolved|addressed|corrected|detected)"
    r"|(?P<np3>\b(?:an?|the|some)\s+(?:[\w-]+\s+)?glitch(?:es)?)\b"
    r"|\b(?:resolved|fixed|addressed|mitigated|detected|observed|identified|found|corrected|"
    r"located|isolated)\s+(?P<np6>(?:the\s+|an?\s+|some\s+)?"
    r"(?:[\w-]+\s+){0,3}?" + _ISSUE_HEADS + r")\b"
    r"|\bexperiencing\s+(?P<np5>(?:an?\s+|some\s+)?(?:"
    + _GENERIC
    + r"\s+){1,3}(?:"
    + _ISSUE_HEADS
    + r"|"
    + _EVENT_HEADS
    + r"))\b(?!\s+(?:with|in|on|at|of|affecting)\s)"
    r"|(?P<np4>(?:increased|elevated|heavy|high|higher[- ]than[- ](?:usual|expected|normal)|"
    r"unusual|unexpected)\s+(?:load|traffic|demand|volume)|" + _LOAD + r")\s+(?:caused|led\s+to|"
    r"resulted\s+in)",
    re.IGNORECASE,
)
_VAGUE_TRIGGERS_EXTRA = frozenset(["challenges", "circumstances", "factors"])
_VAGUE_TRIGGERS = _VAGUE_TRIGGERS_EXTRA | frozenset(
    [
        "degradation",
        "difficulties",
        "difficulty",
        "glitch",
        "glitches",
        "instability",
        "issue",
        "issues",
        "problem",
        "problems",
        "hiccup",
        "hiccups",
        "anomaly",
        "anomalies",
        "error",
        "errors",
        "failure",
        "failures",
        "outage",
        "outages",
        "incident",
        "incidents",
        "disruption",
        "disruptions",
        "event",
        "events",
        "situation",
        "fault",
        "faults",
        "malfunction",
        "condition",
        "conditions",
        "behavior",
        "behaviour",
        "load",
        "traffic",
        "demand",
        "irregularities",
    ]
)


_HEAD = lazy(
    r"\b(?:" + _ISSUE_HEADS + r"|" + _EVENT_HEADS + r"|load|traffic|demand|volume)\b", re.IGNORECASE
)


_HEAD_WORDS = _VAGUE_TRIGGERS_EXTRA | frozenset(
    [
        "issue",
        "issues",
        "problem",
        "problems",
        "glitch",
        "glitches",
        "degradation",
        "instability",
        "difficulty",
        "difficulties",
        "hiccup",
        "hiccups",
        "anomaly",
        "anomalies",
        "fault",
        "faults",
        "malfunction",
        "malfunctions",
        "irregularity",
        "irregularities",
        "abnormality",
        "abnormalities",
        "error",
        "errors",
        "failure",
        "failures",
        "outage",
        "outages",
        "incident",
        "incidents",
        "disruption",
        "disruptions",
        "event",
        "events",
        "situation",
        "condition",
        "conditions",
        "behavior",
        "behaviour",
        "interruption",
        "interruptions",
        "complication",
        "complications",
    ]
)
_LOAD_WORDS = frozenset(["load", "traffic", "demand", "volume"])
_LOAD_ADJECTIVES = frozenset(
    ["increased", "elevated", "heavy", "high", "higher", "unusual", "unexpected"]
)


def _windows(subject: Subject) -> list[tuple[int, int]]:
    """Stretches of text around each noun of trouble: the only places a vague cause can be.

    The noun-phrase patterns are costly to try at every position; trying them near a head
    noun only keeps the checks fast on text that has none.
    """
    spans: list[tuple[int, int]] = []
    load = subject.has_any(_LOAD_WORDS) and subject.has_any(_LOAD_ADJECTIVES)
    if not subject.has_any(_HEAD_WORDS) and not load:
        return spans
    for head in _HEAD.finditer(subject.text):
        start, end = max(0, head.start() - 120), head.end() + 80
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


# "An issue with a recent deploy" names the deploy: the tail holds the cause.
_CAUSE_IN_TAIL = lazy(
    r"\s+(?:with|in|from|caused\s+by)\s+(?:(?:an?|the|our|this|that|one|last|yesterday['’]s)\s+)?"
    r"(?:[\w'’-]+\s+){0,2}?(?:deploy\w*|change|changes|release|configuration|config|certificate|"
    r"update|migration|upgrade|bug|code|rollout|patch|commit)\b",
    re.IGNORECASE,
)


def _vague_spans(subject: Subject) -> Iterator[tuple[int, int, Severity]]:
    """Where a vague noun phrase stands in a cause's place, and how sure that is."""
    for start, end in _windows(subject):
        for found in _vague_spans_in(subject, start, end):
            if not _CAUSE_IN_TAIL.match(subject.text, found[1]):
                yield found


def _vague_spans_in(subject: Subject, pos: int, endpos: int) -> Iterator[tuple[int, int, Severity]]:
    text = subject.text
    endpos = min(endpos, len(text))
    for match in _VAGUE_AFTER_CONNECTIVE.finditer(text, pos, endpos):
        start, end = match.span("np")
        connective = match.group()[: start - match.start()].lower()
        unsure = "found to be" in connective or "turned out" in connective
        yield start, end, Severity.WARNING if unsure else Severity.ERROR
    for start, end, verb in _vague_subjects(subject, pos, endpos):
        if verb.endswith("ing") and not subject.final:
            continue  # "investigating an issue affecting the dashboard" names the symptom
        yield start, end, Severity.ERROR
    for match in _VAGUE_FOUND.finditer(text, pos, endpos):
        name = next(
            n for n in ("np", "np2", "np3", "np4", "np5", "np6") if match.group(n) is not None
        )
        if name == "np6" and not subject.final:
            continue  # "we have fixed the issue" mid-incident refers back to the symptom
        start, end = match.span(name)
        yield start, end, Severity.WARNING if name == "np4" else Severity.ERROR


# -- a cause's place that names nothing, whatever its words --------------------------------

# A cause explains something when a word in its place names a thing or an event that can be
# acted on (a certificate, a migration, a leak). It names nothing when every word is one of
# these: determiners and places in general, generic qualifiers, nouns of trouble, symptoms
# the customer already saw, and parts of a service in general. Capitalised names (products,
# partners) say where, not what broke, and are read as places.
_EMPTY_CAUSE_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "some",
        "this",
        "these",
        "those",
        "that",
        "our",
        "its",
        "their",
        "my",
        "one",
        "of",
        "in",
        "on",
        "at",
        "with",
        "within",
        "from",
        "to",
        "for",
        "by",
        "and",
        "or",
        "any",
        "all",
        "known",
        "several",
        "multiple",
        "certain",
        "specific",
        "side",
        "end",
        "part",
        "parts",
        "kind",
        "sort",
        "type",
        "set",
        "number",
        "few",
        "other",
        "another",
        "same",
        "such",
        "own",
        "there",
        "here",
        "we",
        "it",
        "internal",
        "unexpected",
        "unforeseen",
        "unanticipated",
        "technical",
        "partial",
        "temporary",
        "general",
        "unknown",
        "underlying",
        "intermittent",
        "isolated",
        "transient",
        "sporadic",
        "unplanned",
        "wider",
        "broader",
        "larger",
        "major",
        "significant",
        "elevated",
        "increased",
        "high",
        "higher",
        "heavy",
        "degraded",
        "reduced",
        "abnormal",
        "unusual",
        "operational",
        "backend",
        "back-end",
        "upstream",
        "downstream",
        "third-party",
        "external",
        "core",
        "critical",
        "primary",
        "localized",
        "localised",
        "overall",
        "widespread",
        "ongoing",
        "potential",
        "possible",
        "apparent",
        "various",
        "minor",
        "small",
        "brief",
        "unspecified",
        "undisclosed",
        "rare",
        "edge",
        "issue",
        "issues",
        "problem",
        "problems",
        "glitch",
        "glitches",
        "degradation",
        "degradations",
        "instability",
        "difficulty",
        "difficulties",
        "hiccup",
        "hiccups",
        "anomaly",
        "anomalies",
        "fault",
        "faults",
        "malfunction",
        "malfunctions",
        "irregularity",
        "irregularities",
        "abnormality",
        "abnormalities",
        "challenge",
        "challenges",
        "circumstance",
        "circumstances",
        "factor",
        "factors",
        "error",
        "errors",
        "failure",
        "failures",
        "outage",
        "outages",
        "incident",
        "incidents",
        "disruption",
        "disruptions",
        "event",
        "events",
        "situation",
        "situations",
        "condition",
        "conditions",
        "behavior",
        "behaviour",
        "behaviors",
        "behaviours",
        "interruption",
        "interruptions",
        "complication",
        "complications",
        "matter",
        "matters",
        "trouble",
        "troubles",
        "constraint",
        "constraints",
        "something",
        "thing",
        "things",
        "occurrence",
        "occurrences",
        "impairment",
        "impairments",
        "latency",
        "slowness",
        "performance",
        "availability",
        "connectivity",
        "capacity",
        "load",
        "traffic",
        "demand",
        "volume",
        "timeouts",
        "unavailability",
        "delays",
        "delay",
        "responsiveness",
        "reliability",
        "health",
        "stability",
        "degradation",
        "congestion",
        "contention",
        "pressure",
        "rate",
        "rates",
        "spike",
        "spikes",
        "surge",
        "surges",
        "increase",
        "increases",
        "level",
        "levels",
        "usage",
        "consumption",
        "activity",
        "service",
        "services",
        "system",
        "systems",
        "platform",
        "platforms",
        "infrastructure",
        "provider",
        "providers",
        "vendor",
        "vendors",
        "network",
        "networks",
        "component",
        "components",
        "dependency",
        "dependencies",
        "partner",
        "partners",
        "environment",
        "environments",
        "center",
        "centre",
        "centers",
        "centres",
        "datacenter",
        "datacentre",
        "datacenters",
        "region",
        "regions",
        "zone",
        "zones",
        "location",
        "locations",
        "site",
        "facility",
        "facilities",
        "resource",
        "resources",
        "data",
        "upstreams",
        "product",
        "products",
        "feature",
        "features",
        "functionality",
        "degraded",
        "impaired",
        "unhealthy",
        "failing",
        "malfunctioning",
        "broken",
        "troubled",
    ]
)
_CAUSE_NOUN_WORDS = frozenset(
    [
        "issue",
        "issues",
        "problem",
        "problems",
        "glitch",
        "glitches",
        "degradation",
        "instability",
        "difficulty",
        "difficulties",
        "hiccup",
        "hiccups",
        "anomaly",
        "anomalies",
        "fault",
        "faults",
        "malfunction",
        "malfunctions",
        "irregularity",
        "irregularities",
        "abnormality",
        "abnormalities",
        "challenges",
        "circumstances",
        "factors",
        "error",
        "errors",
        "failure",
        "failures",
        "outage",
        "outages",
        "incident",
        "incidents",
        "disruption",
        "disruptions",
        "event",
        "events",
        "situation",
        "condition",
        "conditions",
        "behavior",
        "behaviour",
        "interruption",
        "interruptions",
        "complication",
        "complications",
        "matter",
        "matters",
        "trouble",
        "constraint",
        "constraints",
        "something",
        "occurrence",
        "impairment",
        "latency",
        "slowness",
        "performance",
        "availability",
        "connectivity",
        "capacity",
        "load",
        "traffic",
        "demand",
        "volume",
        "timeouts",
        "unavailability",
        "delays",
        "delay",
        "congestion",
        "contention",
        "pressure",
        "rate",
        "rates",
        "spike",
        "spikes",
        "surge",
        "surges",
        "increase",
        "increases",
        "level",
        "levels",
        "usage",
        "consumption",
        "degraded",
        "impaired",
        "unhealthy",
        "failing",
        "malfunctioning",
        "broken",
    ]
)
_PLACE_WORDS = frozenset(
    [
        "service",
        "services",
        "system",
        "systems",
        "platform",
        "infrastructure",
        "provider",
        "providers",
        "vendor",
        "vendors",
        "network",
        "component",
        "components",
        "dependency",
        "dependencies",
        "partner",
        "partners",
        "upstream",
        "upstreams",
        "backend",
        "datacenter",
        "datacentre",
    ]
)
_PLACE_TRIGGERS = frozenset(
    ["cause", "source", "origin", "culprit", "something", "underlying", "root"]
)
_CAUSE_WORD = lazy(r"[A-Za-z][A-Za-z'’-]*|\d\S*")


def names_nothing(phrase: str, *, places: bool = False) -> bool:
    """Whether a cause's place holds only words that name no thing or event to act on.

    A noun of trouble must be there ("an internal matter"), or, with ``places``, a part of
    a service in general ("a third-party dependency").
    """
    words = _CAUSE_WORD.findall(phrase)
    if not words or len(words) > 14:
        return False
    seen_trouble = False
    for index, word in enumerate(words):
        lowered = word.lower().strip("'’")
        if lowered in _CAUSE_NOUN_WORDS or (places and lowered in _PLACE_WORDS):
            seen_trouble = True
        if lowered in _EMPTY_CAUSE_WORDS:
            continue
        if word[0].isupper() and index > 0:
            continue  # a product's or partner's name: where, not what broke
        return False
    return seen_trouble


# The cause's place after a connective, up to the end of its clause.
_CAUSE_PLACE_AFTER = re.compile(
    r"\b(?P<connective>due\s+to|caused\s+by|because\s+of|(?:the\s+)?results?\s+of|resulted\s+"
    r"from|stem(?:s|med|ming)?\s+from|owing\s+to|traced\s+(?:\w+\s+){0,3}?to|attributed\s+to|"
    r"triggered\s+by|originat\w+\s+(?:in|from|with)|as\s+a\s+result\s+of|(?:root\s+)?cause\s+"
    r"(?:was|is|has\s+been\s+identified\s+as)|(?:primary\s+)?contributors?\s+(?:was|were)|"
    r"driven\s+by|brought\s+on\s+by|attributable\s+to|linked\s+to|tied\s+to|after)\s+"
    r"(?P<place>[^.;:,!?\n()]+?)(?=\s*(?:[.;:,!?\n()]|$|\s(?:and|which|that|who|was|were|is|"
    r"are|has|have|had|so|but|while|when|between|during|until|since|from\s+\d|at\s+\d|on\s+"
    r"(?:[A-Z]|\d)|for\s+\d|for\s+(?:about|approximately|roughly|around)|and)\b))",
    re.IGNORECASE,
)
# A causal verb, and the clause before it that holds its subject.
_CAUSAL_VERB_AFTER_PLACE = re.compile(
    r"\b(?:(?:has|have|had|may\s+have|might\s+have|also)\s+)*(?:caused|led\s+to|resulted\s+in|"
    r"triggered|disrupted|impacted|affected|prevented|degraded|broke|took\s+down|knocked\s+out|"
    r"brought\s+down|was\s+responsible\s+for|were\s+responsible\s+for|"
    r"meant\s+that)\b",
    re.IGNORECASE,
)
_PUT_RIGHT = lazy(
    r"\s+(?:was|were|had\s+been|has\s+been|have\s+been)\s+(?:\w+ly\s+)?(?:corrected|fixed|"
    r"resolved|addressed|remediated|mitigated|cleared|repaired|rectified)\b",
    re.IGNORECASE,
)
_SOMETHING_WRONG = re.compile(
    r"\bsomething\s+(?:went\s+wrong|(?:unexpected\s+)?happened|broke|failed|"
    r"(?:was|went)\s+(?:wrong|amiss|off))\b|\b(?:found|identified|located|addressed|fixed|"
    r"corrected|resolved|isolated|remediated|eliminated)\s+(?:and\s+\w+\s+)?the\s+(?:root\s+)?"
    r"(?:cause|source|origin|culprit)(?:\s+of\s+(?:the|this|these)\s+\w+)?"
    r"(?!\s*(?:[:—–-]|,\s+(?!and\b|so\b|but\b)|\s+(?:as|which\s+was|to\s+be|was|is|in)\b))"
    r"|\bthe\s+(?:underlying|root)\s+(?:issues?|problems?|faults?|conditions?)\s+(?:has\s+been|"
    r"have\s+been|was|were|is\s+now)\s+(?:\w+ly\s+)?(?:corrected|fixed|resolved|addressed|"
    r"mitigated|identified|found|remediated)(?!\s+(?:as|to\s+be)\b|\s*[:—–-])"
    r"|\bthe\s+(?:root\s+)?cause\s+(?:has\s+been|was|is|have\s+been)\s+(?:now\s+)?(?:found|"
    r"identified|addressed|fixed|resolved|corrected|isolated|remediated)"
    r"(?!\s+(?:as|to\s+be|in)\b|\s*[:—–-])",
    re.IGNORECASE,
)


_CONNECTIVE_WORDS = frozenset(
    [
        "due",
        "caused",
        "because",
        "result",
        "results",
        "resulted",
        "stem",
        "stems",
        "stemmed",
        "stemming",
        "owing",
        "traced",
        "attributed",
        "triggered",
        "originated",
        "originating",
        "originates",
        "cause",
        "contributor",
        "contributors",
        "driven",
        "brought",
        "attributable",
        "linked",
        "tied",
        "after",
    ]
)
_VERB_WORDS = frozenset(
    [
        "caused",
        "led",
        "resulted",
        "triggered",
        "disrupted",
        "impacted",
        "affected",
        "prevented",
        "degraded",
        "broke",
        "took",
        "knocked",
        "brought",
        "responsible",
        "meant",
    ]
)


def _near(
    pattern: re.Pattern[str], sentence: str, lowered: str, anchors: set[str], back: int
) -> list[re.Match[str]]:
    """The matches of ``pattern`` that start up to ``back`` characters before an anchor word.

    Trying a long alternation at every position of every sentence costs more than the
    rest of the checks; each of these patterns holds one of its anchor words.
    """
    if not anchors:
        return []
    found: dict[tuple[int, int], re.Match[str]] = {}
    for word in anchors:
        at = lowered.find(word)
        while at >= 0:
            for start in _WORD_START.finditer(lowered, max(0, at - back), at + 1):
                match = pattern.match(sentence, start.start())
                if match is not None:
                    found.setdefault(match.span(), match)
            at = lowered.find(word, at + 1)
    return [found[span] for span in sorted(found)]


_WORD_START = lazy(r"\b\w")
_WORD_IN = lazy(r"[a-z]+")


_REFERRED = lazy(
    r"the\s+(?:root\s+|underlying\s+)?(?:cause|source|origin|culprit|issue|problem|fault|condition)"
)
_CONNECTIVES_BUT_CAUSE = _CONNECTIVE_WORDS - {"cause"}
_CAUSE_IS = lazy(r"cause\s+(?:was|is|has)\b")
_PUT_RIGHT_WORDS = frozenset(
    [
        "found",
        "identified",
        "located",
        "addressed",
        "fixed",
        "corrected",
        "resolved",
        "isolated",
        "remediated",
        "eliminated",
        "mitigated",
    ]
)


def empty_causes(subject: Subject) -> Iterator[tuple[int, int, Severity]]:
    """Where a cause's place, after a connective or before a causal verb, names nothing.

    Sure after a causal connective ("due to", "caused by") and as the subject of a causal
    verb; "after" is also a time, so there it is a warning.
    """
    # Each pattern is tried only when one of its words is in the text: most text has none.
    connectives = subject.has_any(_CONNECTIVES_BUT_CAUSE) or bool(_CAUSE_IS.search(subject.lowered))
    verbs = subject.has_any(_VERB_WORDS)
    referred = "something" in subject.words or (
        subject.has_any(_PUT_RIGHT_WORDS) and bool(_REFERRED.search(subject.lowered))
    )
    if not (connectives or verbs or referred):
        return
    for offset, sentence in subject.sentences:
        lowered = sentence.lower()
        words = set(_WORD_IN.findall(lowered))
        found = _near(_CAUSE_PLACE_AFTER, sentence, lowered, words & _CONNECTIVE_WORDS, 12)
        for match in found if connectives else ():
            place = match.group("place")
            start = offset + match.start("place")
            if names_nothing(place):
                # "after" is also a time: sure only when what came after is a nameless thing
                # being put right ("after the underlying condition was corrected").
                after = match.group("connective").lower() == "after" and not _PUT_RIGHT.match(
                    sentence, match.end("place")
                )
                yield start, start + len(place), Severity.WARNING if after else Severity.ERROR
            elif names_nothing(place, places=True):
                # "caused by a third-party dependency": whose, and what failed, is untold;
                # but the name may be in a word the rule takes for a place.
                yield start, start + len(place), Severity.WARNING
        found = _near(_CAUSAL_VERB_AFTER_PLACE, sentence, lowered, words & _VERB_WORDS, 24)
        for match in found if verbs else ():
            clause = _subject_before(sentence, match.start())
            clause = re.split(r"\b(?:that|which|who|because|after|since|but|so)\b", clause)[-1]
            if _REFERS_BACK.match(clause) and _EFFECT_VERB.search(match.group()):
                continue  # "This outage affected every customer": the incident, not its cause
            if clause.strip() and names_nothing(clause):
                stripped = clause.strip()
                start = offset + sentence.rfind(stripped, 0, match.start())
                yield start, start + len(stripped), Severity.ERROR
        found = _near(_SOMETHING_WRONG, sentence, lowered, words & _PLACE_TRIGGERS, 60)
        for match in found if referred else ():
            if not subject.final and not match.group().lower().startswith("something"):
                continue  # mid-incident, "we found the cause" may be told in the next update
            yield offset + match.start(), offset + match.end(), Severity.ERROR


_ALL_VAGUE_TRIGGERS = _VAGUE_TRIGGERS | _CAUSE_NOUN_WORDS | _PLACE_TRIGGERS


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
    spans = set(_vague_spans(subject)) | set(empty_causes(subject))
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


# -- whether a cause is named at all --------------------------------------------------------

# A causal verb, any tense or voice. Its subject (the words before it in the sentence)
# must not be only a vague noun of trouble.
_CAUSAL_VERB = lazy(
    r"\b(?:caus(?:ed|es|ing)|led\s+to|lead(?:s|ing)?\s+to|result(?:ed|s|ing)?\s+in|"
    r"trigger(?:ed|s|ing)|introduc(?:ed|es|ing)|prevent(?:ed|s|ing)|stopp(?:ed|ing)|stops|"
    r"broke|breaking|overwhelm(?:ed|s|ing)|exhaust(?:ed|s|ing)|saturat(?:ed|es|ing)|"
    r"r[au]n(?:ning)?\s+out\s+of|to\s+blame\s+for|responsible\s+for|blocked|corrupted|"
    r"overloaded|took\s+down|knocked\s+out|made\s+\w+\s+(?:unavailable|fail)|meant\s+that)\b",
    re.IGNORECASE,
)
_CAUSE_CONNECTIVE = lazy(
    r"\b(?:due\s+to|caused\s+by|because|as\s+a\s+result\s+of|owing\s+to|(?:the\s+)?results?\s+of|"
    r"resulted\s+from|triggered\s+by|stem(?:s|med|ming)?\s+from|traced\s+(?:\w+\s+){0,3}?to|"
    r"attributed\s+to|originat\w+\s+(?:in|from)|came\s+from|introduced\s+by|"
    r"(?:root\s+)?cause(?:\s+of\s+(?:the|this)\s+\w+)?\s*(?:was|is|:|has\s+been\s+identified\s+as"
    r"|turned\s+out\s+to\s+be)|identified\s+(?:the\s+(?:root\s+)?cause|it)\s+as|"
    r"(?:was|were)\s+found\s+to\s+(?:be|contain|have)|turned\s+out\s+to\s+be|"
    r"(?:occurred|happened|began|started)\s+when)\s*(?P<rest>[^.;!?\n]+)",
    re.IGNORECASE,
)
# A condition that is itself a cause when it is stated: "a bug", "the certificate expired".
_CONDITION = lazy(
    r"\b(?:(?:issue|problem|error|fault)s?\s+(?:with|in)\s+(?:an?|the|our|this)\s+(?:[\w'’-]+\s+){0,2}?"
    r"(?:deploy\w*|change|release|configuration|config|certificate|update|migration|upgrade|"
    r"rollout|patch)|bug|regression|misconfigur\w+|expired|deadlock\w*|memory\s+leak|corrupt\w+|"
    r"crash(?:ed|es)?|exhaustion|overload\w*|ddos|fib(?:er|re)\s+cut|power\s+(?:loss|failure|"
    r"outage)|ran\s+out\s+of|full\s+disk|disk\s+(?:was\s+)?full)\b",
    re.IGNORECASE,
)
# Undoing a change names the change as the cause.
_UNDONE_CHANGE = lazy(
    r"\b(?:roll(?:ed|ing)?\s+back|rollback\s+of|revert(?:ed|ing)?|undo(?:ing)?|undid)\s+"
    r"(?:[\w'’-]+\s+){0,4}?"
    r"(?:change|changes|deploy\w*|release|update|configuration|config|version|code|upgrade|"
    r"migration|commit)\b",
    re.IGNORECASE,
)
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


# What a cause is usually made of: a sentence naming one of these may be telling the cause
# in words the rule cannot read, so the rule is not sure there is none.
_MECHANISM = frozenset(
    [
        "database",
        "databases",
        "db",
        "server",
        "servers",
        "host",
        "hosts",
        "node",
        "nodes",
        "cluster",
        "clusters",
        "cache",
        "caches",
        "queue",
        "queues",
        "disk",
        "disks",
        "memory",
        "cpu",
        "router",
        "routers",
        "switch",
        "switches",
        "certificate",
        "certificates",
        "tls",
        "ssl",
        "config",
        "configuration",
        "deploy",
        "deployed",
        "deployment",
        "deploys",
        "release",
        "code",
        "migration",
        "upgrade",
        "dependency",
        "dependencies",
        "job",
        "jobs",
        "process",
        "worker",
        "workers",
        "replica",
        "replicas",
        "index",
        "indexes",
        "balancer",
        "balancers",
        "storage",
        "backup",
        "backups",
        "bug",
        "script",
        "pipeline",
        "scheduler",
        "partition",
        "shard",
        "quota",
        "credentials",
        "key",
        "keys",
        "token",
        "tokens",
        "permission",
        "permissions",
        "firewall",
        "fiber",
        "power",
        "hardware",
    ]
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
            if len(words) > 3 and (not _STATUS_OR_COURTESY.search(clause) or words & _MECHANISM):
                spans.append((offset, offset + len(sentence.rstrip())))
                break
    return spans


_CLAUSE = lazy(r"[:;]\s+|,\s+(?:so|and|which|but)\s+|\s+(?:so|but)\s+")


# A cause's place holding only a noun of trouble: an issue, whatever it is "with", or an
# event qualified by nothing but generic words.
_ONLY_VAGUE = lazy(
    r"^\s*(?:" + _DETERMINER + _MODIFIERS + _ISSUE_HEADS + r"\b(?:\s+(?:with|in|on|at|of|affecting|"
    r"from)\s+.{1,60})?|" + _VAGUE_NP + r"|" + _LOAD + r")\s*$",
    re.IGNORECASE,
)
_RELATIVE = lazy(r",?\s+(?:that|which)\s+(?:(?:may|might|could|has|have|had|would)\s+)*$", re.I)
_ENDS_VAGUE = lazy(
    r"(?:" + _ISSUE_HEADS + r")\b(?:\s+(?:with|in|on|at|of|affecting)\s+[\w.\s-]{1,40})?\s*$", re.I
)
_ENDS_IN_TROUBLE = lazy(
    r"(?:\b(?:"
    + _ISSUE_HEADS
    + r"|"
    + _EVENT_HEADS
    + r")\b|"
    + _LOAD
    + r")(?:\s+(?:with|in|on|at|of|affecting)\s+"
    r"[\w.\s-]{1,40})?\s*,?\s*(?:(?:that|which)\s+)?(?:(?:may|might|could|has|have|had|also)\s+)*$",
    re.IGNORECASE,
)
_ANAPHOR = lazy(r"(?:^|\W)(?:this|that|which|it|these)\s*$", re.IGNORECASE)
# Having repaired something, without saying what caused it, may still imply it.
_REMEDY = lazy(
    r"\b(?:restart\w*|fail(?:ed)?\s*over|scal(?:ed|ing)\s+(?:up|out)|replac\w+|patch\w*|"
    r"(?:deployed|applied|implemented)\s+(?:a|the)\s+(?:\w+\s+)?fix|fix\s+(?:was|has\s+been)\s+"
    r"(?:deployed|applied|implemented)|rerout\w+|increas\w+\s+(?:the\s+)?(?:capacity|resources))",
    re.IGNORECASE,
)


def _subject_before(sentence: str, at: int) -> str:
    """The words before a verb in its clause: what the sentence says did it."""
    clause = re.split(r"[,;:(]|\band\b|\bwhile\b|\bwhen\b", sentence[:at])[-1]
    return clause


_APOLOGY_WORDS = lazy(r"\b(?:apologi\w+|sorry|regret|inconvenience\w*)\b", re.IGNORECASE)
# What a causal verb must be followed by to state an effect: not nothing, not "you", not the
# rest of an apology ("... this may have caused, and appreciate your patience").
_NO_EFFECT = lazy(r"^\s*(?:you\b|to\s+you\b|us\b|and\b|or\b|[.,;!?)]|$)", re.IGNORECASE)


def _names_a_mechanism(subject: Subject, sentence: str) -> bool:
    """Whether the text before this sentence, or this sentence, names a thing that can fail."""
    upto = subject.text[: subject.text.find(sentence) + len(sentence)]
    words = set(re.findall(r"\b[a-z]+\b", upto))
    return bool(words & _MECHANISM) or bool(_CONDITION.search(upto))


def cause_statement(subject: Subject) -> str | None:
    """Whether the text states a cause, in any voice or tense.

    ``"named"`` when something concrete fills the cause's place, ``"vague"`` when a
    causal statement is there but what fills it is a noun of trouble that names nothing
    (the vague-cause rule judges those), None when there is no causal statement.
    """
    if _CONDITION.search(subject.text) or _UNDONE_CHANGE.search(subject.text):
        return "named"
    attempted = False
    for _, sentence in subject.sentences:
        if _APOLOGY_WORDS.search(sentence) and not re.search(r"[:;]", sentence):
            continue  # "sorry for the trouble this caused" states no cause
        for match in _CAUSE_CONNECTIVE.finditer(sentence):
            rest = re.split(r"[,;]|\bwhich\b|\band\b", match.group("rest"))[0]
            if not rest.strip():
                continue
            if _ONLY_VAGUE.match(rest) or names_nothing(rest):
                attempted = True
                continue
            return "named"
        for match in _CAUSAL_VERB.finditer(sentence):
            if re.match(r"\s+by\b", sentence[match.end() :]):
                continue  # passive: the cause follows "by", read as a connective above
            before = _subject_before(sentence, match.start())
            if re.search(r"\b(?:not|no|never)\s*$", before) or _NO_EFFECT.match(
                sentence[match.end() :]
            ):
                continue
            relative = _RELATIVE.search(sentence[: match.start()])
            if relative:
                antecedent = sentence[: relative.start()]
                if _ENDS_VAGUE.search(antecedent):
                    attempted = True
                    continue
                return "named"
            if _ENDS_IN_TROUBLE.search(before[-90:]):
                attempted = True  # "connectivity issues with an internal service causing ..."
                continue
            if _ANAPHOR.search(sentence[: match.start()]):
                # "This resulted in failed logins" names what the sentence before did.
                if _names_a_mechanism(subject, sentence):
                    return "named"
                attempted = True
                continue
            if before.strip() and not _ONLY_VAGUE.match(before) and not names_nothing(before):
                return "named"
            attempted = True
    return "vague" if attempted else None


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
    "request'): the rule cannot be sure there is none.",
)
def no_cause(subject: Subject) -> Iterator[Finding]:
    if not subject.final or subject.still_investigating:
        return
    statement = cause_statement(subject)
    if statement == "named":
        return
    if statement == "vague" and (any(_vague_spans(subject)) or any(empty_causes(subject))):
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
        f"the resolution tells what happened ('{subject.text[start:end]}') but says no cause in a "
        "way the rule can read for sure"
        if unsure
        else "the resolution does not say what caused the incident",
        "add the cause ('It was caused by ...'), or say it is not yet known and when the "
        "write-up will explain it",
        severity=Severity.WARNING if unsure else Severity.ERROR,
    )


# -- blaming others -------------------------------------------------------------------------

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


RULES: list[Rule] = [vague_cause, no_cause, blames_others]
