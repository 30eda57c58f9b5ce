"""The minimizing rule: words that shrink who is affected, how badly or for how long.

A minimiser counts only where it qualifies what customers suffer (who, how badly,
how long), not machinery, a fix, or a group it names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from candor.checks._pattern import lazy
from candor.checks._rule import rule
from candor.checks._subject import Subject
from candor.checks._words import AFFECTED, MACHINERY, OFFERED
from candor.vocabulary import Finding, Severity

# What a customer suffers, as a noun: a minimiser in front of these shrinks how bad or how long.
_HARM = frozenset(
    [
        "issue",
        "issues",
        "problem",
        "problems",
        "outage",
        "outages",
        "disruption",
        "disruptions",
        "interruption",
        "interruptions",
        "degradation",
        "degradations",
        "delay",
        "delays",
        "error",
        "errors",
        "failure",
        "failures",
        "impact",
        "slowness",
        "slowdown",
        "slowdowns",
        "latency",
        "downtime",
        "duration",
        "period",
        "window",
        "incident",
        "hiccup",
        "hiccups",
        "blip",
        "blips",
        "glitch",
        "glitches",
        "inconvenience",
        "trouble",
        "increase",
        "spike",
        "loss",
        "time",
        "capacity",
        "functionality",
        "availability",
        "extent",
        "fashion",
        "way",
    ]
)
# "Some" in front of these describes the kind of trouble without saying how bad it is.
_SOME_HARM = frozenset(
    [
        "slowness",
        "delays",
        "errors",
        "issues",
        "latency",
        "disruption",
        "degradation",
        "failures",
        "impact",
        "interruptions",
        "trouble",
        "problems",
        "timeouts",
    ]
)
_SMALL = r"(?:small|tiny|limited|minor|low|minimal|negligible|modest|narrow|reduced)"
_SHARE = r"(?:number|subset|percentage|fraction|portion|proportion|set|group|share|amount|minority)"
_QUANTIFIER = lazy(
    r"\b(?:(?:only|just|merely)\s+)?(?:"
    r"(?:an?\s+|this\s+|these\s+|the\s+)?(?:very\s+|relatively\s+|extremely\s+)?"
    + _SMALL
    + r"\s+"
    + _SHARE
    + r"\s+of"
    r"|an?\s+(?:very\s+)?(?:small\s+|tiny\s+|thin\s+|narrow\s+)?(?:subset|handful|fraction|portion|"
    r"minority|sliver|slice)\s+of"
    r"|(?:isolated|sporadic|occasional|rare|select|certain)"
    r"|(?:a\s+|very\s+|relatively\s+)?few|a\s+couple\s+of"
    r"|some(?:\s+of\s+(?:the|our|your))?"
    r")(?=\s)",
    re.IGNORECASE,
)
_SEVERITY_WORD = lazy(
    r"\b(?:(?:only|just|merely)\s+)?(?:(?:very|relatively)\s+)?"
    r"(?:minor|slight|negligible|minimal|brief|limited|small|short(?:-lived)?|momentary)\b",
    re.IGNORECASE,
)
_ADVERB = lazy(r"\b(?:(?:only|just)\s+)?(?:briefly|slightly|momentarily|marginally)\b", re.I)
_ONLY = lazy(r"\b(?:only|merely|just)\b", re.IGNORECASE)
# The harm said to be small after the fact: "the impact was minimal", "delays were brief".
_SMALL_PREDICATE = lazy(
    r"\b(?:impact|disruption|outage|interruption|delays?|errors?|downtime|scope|effect|"
    r"degradation|slowdown|exposure|failures?|timeouts?)(?:\s+(?:for|on|to)\s+[^.!?\n]{1,40}?)?\s+(?:was|were|is|are|"
    r"has\s+been|remained|remains|should\s+be|will\s+be|would\s+be|appears\s+to\s+be|seems)\s+"
    r"(?:(?:very|relatively|fairly|quite|extremely)\s+)?"
    r"(?:minor|minimal|negligible|small|low|slight|brief|short|modest|rare|infrequent|"
    r"insignificant|contained|manageable|sporadic|isolated|limited"
    r"(?!\s+to\s+(?:[A-Z0-9]|the\s+|our\s+|customers\s+(?:in|on|of|using)\b)))\b",
    re.IGNORECASE,
)
# Framing by who was spared: "most customers were not affected", "requests largely succeeded".
_SPARED = lazy(
    r"\b(?:(?:the\s+(?:vast\s+|overwhelming\s+)?majority\s+of|most(?:\s+of)?)\s+(?:our\s+|the\s+)?"
    r"(?:\w+\s+)?(?:" + "|".join(sorted(AFFECTED)) + r")\s+(?:(?:were|was|are|is|remained|"
    r"remain)\s+(?:not\s+affected|unaffected|not\s+impacted|unimpacted|working\s+normally|"
    r"successful|fine)|continued\s+to\s+(?:work|succeed)|(?:still\s+)?(?:succeeded|worked|"
    r"completed|went\s+through|loaded|(?:were|was)\s+(?:processed|served|delivered)))\b"
    r"|\b(?:largely|mostly|generally)\s+(?:unaffected|unimpacted|working|functional|available|"
    r"operational)\b"
    r"|\bin\s+(?:some|rare|a\s+few|certain|isolated|limited|edge)\s+cases\b"
    r"|\b(?:somewhat|a\s+bit|a\s+little|marginally)\s+(?:slow\w*|delayed|degraded|elevated|"
    r"higher|longer|increased|late|behind)\b"
    r"|\b(?:barely|hardly|scarcely)\s+(?:noticeable|noticed|affected|impacted|perceptible|"
    r"visible)\b"
    r"|\b(?:would|will|should|did)\s*(?:not|n['’]t)\s+(?:have\s+)?notic\w+\b"
    r"|\b(?:in\s+)?an?\s+(?:limited|reduced|diminished|degraded)\s+(?:capacity|fashion|way|"
    r"state|form)\b"
    r"|\b(?:lasted|for)\s+(?:only\s+|just\s+|mere\s+)?(?:a\s+few\s+)?moments\b"
    r"|\b(?:just|only|mere)\s+moments\b"
    r"|\b(?:contained|confined|restricted|isolated)\s+to\s+(?:a|an|the)\s+(?:very\s+)?"
    r"(?:small|tiny|narrow|limited|handful|few|subset|fraction|minority)\b"
    r"|\b(?:localized|localised|isolated|small|brief|minor)\s+(?:pockets?|blips?|hiccups?)\b"
    r"|\bfor\s+a\s+(?:brief\s+|short\s+)?(?:moment|while|bit)\b"
    r"|\b(?:was|were|is|are)\s+(?:over|resolved|fixed|gone|cleared)\s+(?:very\s+)?(?:quickly|"
    r"soon|fast|swiftly|almost\s+immediately|in\s+no\s+time|within\s+moments)\b"
    r"|\b(?:an?|the|this|some)\s+(?:(?:small|little|tiny|minor|slight|quick|temporary|brief|"
    r"short)\s+)?(?:hiccups?|blips?)\b)",
    re.IGNORECASE,
)
_DIMINISHED_HARM = lazy(
    r"\s+(?:an?\s+)?(?:partial|slow(?:er)?|delayed|degraded|intermittent|occasional|"
    r"cosmetic)\b",
    re.IGNORECASE,
)
# A figure backs a quantifier: "some customers ... peaked at 5%" states the share after all.
_FIGURE = lazy(
    r"\d(?:[\d,.]*\d)?\s?%|\b\d[\d,.]*\s*(?:k|thousand|million)?\s+(?:\w+\s+){0,2}?(?:"
    + "|".join(sorted(AFFECTED))
    + r")\b|\b(?:one|\d+)\s+(?:in|out\s+of)\s+(?:every\s+)?\d",
    re.IGNORECASE,
)
# A figure given right after the group: "some of the affected jobs (about 1,200)".
_FIGURE_AFTER = lazy(
    r"\s*[(,—–-]\s*(?:about|approximately|roughly|around|~|nearly|over|under)?\s*\d"
)
# Words that say the sentence is about what customers go through.
_IMPACT = lazy(
    r"\b(?:affect\w*|impact\w*|experienc\w*|unavailable|unable|fail\w*|errors?|down|degraded|"
    r"delay\w*|slow\w*|outage|disrupt\w*|interrupt\w*|saw|seen|see|timeouts?|latency|lost|"
    r"missing|stale|broken|rejected|dropped)\b",
    re.IGNORECASE,
)
# A group narrowed to a named one: "customers in the EU region", "users on the Team plan".
_NARROWED = lazy(
    r"\s+(?:(?:in|on|of|using|with|from)\s+(?:the\s+|our\s+)?(?:[A-Z][\w.-]*|[a-z]{2}-[a-z]+-?\d*)"
    r"|who\s+(?:use|used|are\s+on|were\s+on|signed|have))",
)
# The quantified thing is what suffers: "some services may be intermittently impacted",
# "affecting certain workflows".
_SUFFERS = lazy(
    r"\s+(?:(?:may|might|could|will|can)\s+)?(?:(?:still|also|currently|now|intermittently|"
    r"temporarily)\s+)*(?:be|are|were|is|was|have\s+been|has\s+been)\s+(?:(?:still|also|currently|"
    r"now|intermittently|temporarily)\s+)*(?:impacted|affected|unavailable|degraded|down|failing|"
    r"slow|delayed|stale|missing|lost|broken|disrupted|interrupted)\b",
    re.IGNORECASE,
)
# Where the news came from, not how many were hit: "some customers reported errors".
_REPORTED = lazy(r"\s+(?:have\s+|had\s+)?(?:reported|told|contacted|wrote|alerted)\b", re.I)
_AFFECTING = lazy(r"\b(?:affecting|impacting|disrupting|for)\s+$", re.IGNORECASE)
_TOKEN = lazy(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.:]*%?")
_STOP = frozenset(
    [
        "of",
        "the",
        "our",
        "your",
        "their",
        "its",
        "in",
        "on",
        "at",
        "for",
        "to",
        "from",
        "with",
        "by",
        "and",
        "or",
    ]
)
_TIME_UNIT = lazy(r"^(?:seconds?|minutes?|mins?|hours?|hrs?|moments?)$", re.IGNORECASE)
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
        "minority",
        "negligible",
        "only",
        "portion",
        "proportion",
        "slight",
        "slightly",
        "small",
        "subset",
        "tiny",
        "some",
        "momentarily",
        "marginally",
        "low",
        "percentage",
        "sliver",
        "slice",
        "isolated",
        "sporadic",
        "occasional",
        "rare",
        "select",
        "certain",
        "short",
        "short-lived",
        "momentary",
        "majority",
        "most",
        "largely",
        "mostly",
        "generally",
        "cases",
        "somewhat",
        "bit",
        "little",
        "localized",
        "localised",
        "pockets",
        "blips",
        "hiccups",
        "moment",
        "while",
        "moments",
        "modest",
        "rare",
        "infrequent",
        "insignificant",
        "manageable",
        "quickly",
        "swiftly",
        "soon",
        "hiccup",
        "blip",
        "modest",
        "narrow",
        "reduced",
        "couple",
        "barely",
        "hardly",
        "scarcely",
        "notice",
        "noticed",
        "diminished",
        "degraded",
        "contained",
        "confined",
    ]
)


def _head(text: str, start: int) -> tuple[str | None, int]:
    """The noun a quantifier qualifies: the first known noun among the next few words."""
    end = start
    for count, token in enumerate(_TOKEN.finditer(text, start)):
        if count >= 4:
            break
        word = token.group().lower()
        end = token.end()
        if (
            word in AFFECTED
            or word in MACHINERY
            or word in OFFERED
            or word in _HARM
            or _TIME_UNIT.match(word)
        ):
            return word, end
        if word in _STOP and count > 0:
            break
    return None, end


def _backed(subject: Subject, index: int) -> bool:
    """Whether a figure in this sentence or the next states the share the quantifier hides."""
    number, _ = subject.sentence_at(index)
    near = subject.sentences[number : number + 2]
    return any(_FIGURE.search(sentence) for _, sentence in near)


@rule(
    "minimizing",
    Severity.ERROR,
    "Shrinks who is affected, how badly or for how long, instead of stating it.",
    rationale=(
        "For the customers it hits, a partial outage is a full outage. 'Only a small number "
        "of users' tells the ones affected that their problem does not matter; state the "
        "fraction or count, and tell them plainly that it is broken for them. Qualifiers of "
        "servers, fixes, rollouts, or of a scope that is then stated in full, shrink nothing."
    ),
    bad="Only a small subset of customers may see brief errors.",
    good="Checkout fails for 1.2% of our customers (1,843 accounts). If you are one of them, "
    "checkout does not work for you at all.",
    why="to the customers it hits, a partial outage is a full outage; an unquantified "
    "'small' or 'some' tells them their problem does not count",
    policy="An error when the qualifier shrinks customers or their work ('a small number of "
    "users', 'some requests'), for 'some' and 'a few' only when nothing in the text gives "
    "the share or names the group; and when it shrinks the harm ('minor errors', 'some "
    "slowness', 'the impact was minimal', 'only slower') or its length ('a brief outage'). "
    "Nothing when a figure in that sentence or the next states the share. A warning when, "
    "for 'some' or 'a few', a figure elsewhere in the text or a named group may make it "
    "precise ('some customers in the EU region'), when the qualified noun is one the rule "
    "does not know, for a bare 'only' in a sentence about impact, and for 'some' or 'a few' "
    "in a sentence that says nothing of what customers suffer ('we moved some traffic'). "
    "Nothing when it qualifies machinery (servers, a fix, a rollout), narrows to a named "
    "group ('only customers in the EU region'), or a figure follows it ('some of the jobs "
    "(about 1,200)'). Without stock words, these shapes count too: service 'in a reduced "
    "capacity', 'barely noticeable', 'most customers would not have noticed', 'a little "
    "late', 'lasted just moments', 'contained to a handful of accounts', 'errors were rare', "
    "'over quickly', 'a hiccup'. An adverb ('briefly', 'slightly') is an error only beside "
    "the impact it shrinks ('were briefly unable'), a warning elsewhere in a sentence about "
    "impact ('we briefly considered a rollback').",
)
def minimizing(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_MINIMISING_TRIGGERS):
        return
    text = subject.text
    taken: list[tuple[int, int]] = []

    def report(start: int, end: int, what: str, severity: Severity) -> Finding:
        taken.append((start, end))
        return minimizing.finding(
            subject,
            start,
            end,
            f"'{text[start:end]}' shrinks {what}",
            "state the scope precisely (components, regions, the fraction or count of "
            "customers, the window) and say plainly that it is broken for them",
            severity=severity,
        )

    for match in _QUANTIFIER.finditer(text):
        head, end = _head(text, match.end())
        phrase = match.group().lower()
        explicit = bool(re.search(_SHARE + r"|few|handful|minority|sliver|slice", phrase))
        unsure = phrase.split()[-1] in ("isolated", "sporadic", "occasional", "rare", "select",
                                        "certain")  # fmt: skip
        if head is None:
            if explicit and _IMPACT.search(text, match.end(), match.end() + 80):
                yield report(match.start(), end, "who is affected", Severity.WARNING)
            continue
        if head in MACHINERY or re.match(
            r"\s+(?:remain|are|were|is|was)\s+(?:unaffected|not\s+affected|working)", text[end:]
        ):
            continue
        reported = _REPORTED.match(text, end) is not None
        suffers = bool(_SUFFERS.match(text, end)) or bool(
            _AFFECTING.search(text, max(0, match.start() - 12), match.start())
        )
        if head in OFFERED and not suffers:
            continue  # "we lost some transport capacity", "some VCS resources failed to ingest"
        if _TIME_UNIT.match(head):
            number, _ = subject.sentence_at(match.start())
            if ("few" in phrase or "some" in phrase) and _IMPACT.search(
                subject.sentences[number][1]
            ):
                yield report(match.start(), end, "how long it lasted", Severity.WARNING)
            continue
        if phrase.startswith("some") and head in _HARM and head not in _SOME_HARM:
            continue
        if _backed(subject, match.start()) or _FIGURE_AFTER.match(text, end):
            continue
        what = "how bad it is" if head in _HARM else "who is affected"
        # Sure only when nothing in the text gives the share and the group is not narrowed
        # to a named one ("some customers on the Enterprise plan"): otherwise a warning.
        narrowed = head in AFFECTED and _NARROWED.match(text, end) is not None
        figured = head in AFFECTED and _FIGURE.search(text) is not None
        number, _ = subject.sentence_at(match.start())
        # "We moved some traffic to the standby region" acts on the group; it is sure to
        # shrink the impact only in a sentence about what customers suffer.
        idle = not explicit and not _IMPACT.search(subject.sentences[number][1])
        if not suffers and (unsure or reported or idle or (not explicit and (narrowed or figured))):
            yield report(match.start(), end, what, Severity.WARNING)
        else:
            yield report(match.start(), end, what, Severity.ERROR)
    for match in _SEVERITY_WORD.finditer(text):
        if any(a <= match.start() < b for a, b in taken):
            continue
        word = match.group().lower().split()[-1]
        head, end = _head(text, match.end())
        if word == "limited" and re.match(r"\s+to\b", text[match.end() :]):
            continue  # "limited to the UI" states the scope
        if head is None or head in MACHINERY or head in AFFECTED:
            continue  # "a minor release", "small businesses"; quantifiers are read above
        if head in _HARM and not (word in ("small", "low") and head not in ("impact", "outage")):
            if word in ("small", "low", "limited", "minimal", "negligible") and _backed(
                subject, match.start()
            ):
                continue
            long = word in ("brief", "short", "short-lived", "momentary")
            what = "how long it lasted" if long else "how bad it is"
            yield report(match.start(), end, what, Severity.ERROR)
    for match in _ADVERB.finditer(text):
        if any(a <= match.start() < b for a, b in taken):
            continue
        number, _ = subject.sentence_at(match.start())
        sentence = subject.sentences[number][1]
        # Sure only when the adverb qualifies the impact itself ("were briefly unable",
        # "briefly saw errors"), not an act of the team ("we briefly considered").
        near = text[max(0, match.start() - 20) : match.end() + 30]
        severity = Severity.WARNING
        if _IMPACT.search(near) and _IMPACT.search(sentence):
            severity = Severity.ERROR
        word = match.group().lower()
        what = "how long it lasted" if "brief" in word or "moment" in word else "how bad it is"
        yield report(match.start(), match.end(), what, severity)
    for pattern in (_SMALL_PREDICATE, _SPARED):
        for match in pattern.finditer(text):
            if not any(a <= match.start() < b for a, b in taken) and not _backed(
                subject, match.start()
            ):
                yield report(match.start(), match.end(), "how bad it is", Severity.ERROR)
    for match in _ONLY.finditer(text):
        if any(a <= match.start() < b for a, b in taken):
            continue
        before = text[max(0, match.start() - 5) : match.start()].lower()
        after = text[match.end() : match.end() + 40]
        if before.endswith("not ") or re.match(r"\s+(?:if|when|after|once|until|then)\b", after):
            continue
        if match.group().lower() == "just" and not re.match(r"\s+(?:an?\s+|one\s|\d)", after):
            continue  # "we just deployed": a time, not a size
        if _DIMINISHED_HARM.match(after):
            yield report(match.start(), match.end() + _DIMINISHED_HARM.match(after).end(),  # type: ignore[union-attr]
                         "how bad it is", Severity.ERROR)  # fmt: skip
            continue
        if re.match(r"\s+(?:[A-Z0-9]|customers\s+(?:in|on|of|using|with)\b|those\b)", after):
            continue  # "only Copilot Business users", "only customers in the EU region"
        number, _ = subject.sentence_at(match.start())
        sentence = subject.sentences[number][1]
        if _IMPACT.search(sentence) and not _backed(subject, match.start()):
            yield report(match.start(), match.end(), "the impact", Severity.WARNING)
