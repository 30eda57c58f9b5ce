"""Where a vague cause stands: the spans vague-cause reports and no-cause defers to.

Two readings: a stock noun of trouble in a cause's place (after a connective, as the
subject of a causal verb, as what was found), and a cause's place read word by word,
which names nothing when every word is one of :mod:`._nothing`'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from candor.checks._pattern import lazy
from candor.checks._subject import Subject
from candor.checks.cause._nothing import PLACE_TRIGGERS, names_nothing
from candor.checks.cause._trouble import (
    EFFECT_VERB,
    EVENT_HEADS,
    GENERIC,
    ISSUE_HEADS,
    LOAD,
    MODIFIERS,
    REFERS_BACK,
    VAGUE_NP,
    VAGUE_TAIL,
    subject_before,
)
from candor.vocabulary import Severity

# -- a stock noun of trouble in the cause's place -------------------------------------------


_CONNECTIVE = (
    r"(?:due\s+to|caused\s+by|because\s+of|(?:the\s+)?results?\s+of|resulted\s+from|related\s+"
    r"to|stem(?:s|med|ming)?\s+from|owing\s+to|traced\s+(?:back\s+)?to|attributed\s+to|"
    r"triggered\s+by|originat\w+\s+(?:in|from)|came\s+from|as\s+a\s+result\s+of|"
    r"(?:root\s+)?cause\s+(?:was|is|has\s+been\s+identified\s+as)|found\s+to\s+be|"
    r"turned\s+out\s+to\s+be)"
)
_VAGUE_AFTER_CONNECTIVE = lazy(
    r"\b" + _CONNECTIVE + r"\s+(?P<np>" + VAGUE_NP + r")(?=\s*(?:[.,;:!?)\n]|$|and\b|which\b|"
    r"that\b|on\b|at\b|in\b|between\b|from\b|during\b|for\b|with\b|<))",
    re.IGNORECASE,
)
# The trouble as the subject of a causal verb: "an issue that impacted", "issues which
# caused", "scaling issues, which delayed". Read from the head noun: what follows it is the
# verb, what precedes it the rest of the noun phrase.
_CAUSAL_AFTER_HEAD = lazy(
    VAGUE_TAIL + r"\s*,?\s+(?:that\s+|which\s+)?(?:(?:also|potentially|possibly|likely)\s+)*"
    r"(?:(?:may|might|could|would)\s+)?(?:(?:has|have|had)\s+)?(?:(?:also|potentially)\s+)?"
    r"(?P<verb>caused|led\s+to|resulted\s+in|impacted|affected|triggered|prevented|disrupted|"
    r"delayed|degraded|causing|impacting|affecting)\b",
    re.IGNORECASE,
)
_ISSUE_HEAD = lazy(r"\b" + ISSUE_HEADS + r"\b", re.IGNORECASE)
_EVENT_HEAD = lazy(r"\b" + EVENT_HEADS + r"\b", re.IGNORECASE)
_LEAD = r"\b(?:an?|the|some|this|these|those|our|its|their|several|multiple|all\s+known)\s+"
_BEFORE_ISSUE = lazy(_LEAD + r"(?:[\w’'/&.-]+\s+){0,3}$", re.IGNORECASE)
_BEFORE_EVENT = lazy(r"(?:" + _LEAD + r")?(?:" + GENERIC + r"\s+){0,3}$", re.IGNORECASE)


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
                if word_before and not re.fullmatch(GENERIC, word_before.group(1), re.I):
                    continue
            verb = after.group("verb").lower()
            if EFFECT_VERB.fullmatch(verb) and REFERS_BACK.match(text, start):
                continue  # "The incident impacted all writes": the incident, not its cause
            yield start, head.end(), verb


# The trouble as what was found: "we identified an internal systems issue".
_VAGUE_FOUND = lazy(
    r"\b(?:identified|found|determined|confirmed|isolated|had|encountered|experienced|"
    r"traced)\s+(?P<np>(?:(?:an?|some|several|multiple)\s+|(?=(?!(?:the|this|that|these|those|"
    r"our|its|their)\b)[\w-]+\s+(?:issues?|problems?)))"
    + MODIFIERS
    + ISSUE_HEADS
    + r"\b"
    + VAGUE_TAIL
    + r")"
    ""
    r"|(?P<np2>(?:an?|some)\s+" + MODIFIERS + ISSUE_HEADS + r")\s+(?:has|have|was|were)\s+"
    r"(?:been\s+)?(?:identified|found|fixed|resolved|addressed|corrected|detected)"
    r"|(?P<np3>\b(?:an?|the|some)\s+(?:[\w-]+\s+)?glitch(?:es)?)\b"
    r"|\b(?:resolved|fixed|addressed|mitigated|detected|observed|identified|found|corrected|"
    r"located|isolated)\s+(?P<np6>(?:the\s+|an?\s+|some\s+)?"
    r"(?:[\w-]+\s+){0,3}?" + ISSUE_HEADS + r")\b"
    r"|\bexperiencing\s+(?P<np5>(?:an?\s+|some\s+)?(?:"
    + GENERIC
    + r"\s+){1,3}(?:"
    + ISSUE_HEADS
    + r"|"
    + EVENT_HEADS
    + r"))\b(?!\s+(?:with|in|on|at|of|affecting)\s)"
    r"|(?P<np4>(?:increased|elevated|heavy|high|higher[- ]than[- ](?:usual|expected|normal)|"
    r"unusual|unexpected)\s+(?:load|traffic|demand|volume)|" + LOAD + r")\s+(?:caused|led\s+to|"
    r"resulted\s+in)",
    re.IGNORECASE,
)
_VAGUE_TRIGGERS_EXTRA = frozenset(["challenges", "circumstances", "factors"])
VAGUE_TRIGGERS = _VAGUE_TRIGGERS_EXTRA | frozenset(
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
    r"\b(?:" + ISSUE_HEADS + r"|" + EVENT_HEADS + r"|load|traffic|demand|volume)\b", re.IGNORECASE
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


def vague_spans(subject: Subject) -> Iterator[tuple[int, int, Severity]]:
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


# -- a cause's place read word by word -----------------------------------------------------

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
            clause = subject_before(sentence, match.start())
            clause = re.split(r"\b(?:that|which|who|because|after|since|but|so)\b", clause)[-1]
            if REFERS_BACK.match(clause) and EFFECT_VERB.search(match.group()):
                continue  # "This outage affected every customer": the incident, not its cause
            if clause.strip() and names_nothing(clause):
                stripped = clause.strip()
                start = offset + sentence.rfind(stripped, 0, match.start())
                yield start, start + len(stripped), Severity.ERROR
        found = _near(_SOMETHING_WRONG, sentence, lowered, words & PLACE_TRIGGERS, 60)
        for match in found if referred else ():
            if not subject.final and not match.group().lower().startswith("something"):
                continue  # mid-incident, "we found the cause" may be told in the next update
            yield offset + match.start(), offset + match.end(), Severity.ERROR
