"""Wording rules: words that shrink the impact, hedge a known impact, apologise by rote, or
promise a fix time.

Each rule reads the shape of the phrase, not a list of set phrases: a minimiser
counts only where it qualifies what customers suffer (who, how badly, how long),
a hedge only where it makes a known impact sound uncertain, an apology only
where what it apologises for is generic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from candor.checks._pattern import lazy
from candor.checks._rule import Rule, rule
from candor.checks._subject import Subject
from candor.checks._words import AFFECTED, CLOCK, DURATION, MACHINERY, OFFERED
from candor.model import Status
from candor.vocabulary import Finding, Severity

# -- minimising -----------------------------------------------------------------------------

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


# -- hedging --------------------------------------------------------------------------------

_MODALS = frozenset(
    {"may", "might", "could", "possibly", "potentially", "possible", "perhaps", "likely",
     "believe", "chance", "possibility", "should", "appears", "seems", "think", "suspect",
     "probably", "appear", "seem"}
)  # fmt: skip
# A modal, then the ways English stacks aspect and negation ("may still not have been able
# to"), then a verb of suffering or noticing, or an inability.
_HEDGE = lazy(
    r"\b(?:may|might|could(?!\s+not\b|n['’]t))\s+"
    r"(?:(?:still|also|continue\s+to|have|not|been|be|now|already|intermittently|"
    r"temporarily|\w+ly)\s+){0,5}"
    r"(?:able\s+to\s+\w+|unable|"
    r"experienc\w*|see[ns]?|seeing|saw|observ\w*|notic\w*|not(?:e|ed|ing)|encounter\w*|"
    r"result\w*|caus\w*|affect\w*|impact\w*|fac\w+|receiv\w*|get|got|hit|fail\w*|stale|"
    r"delayed|unavailable|slow\w*|missing|lost|los[et]\w*|run\s+into|ran\s+into|"
    r"find|found|report\w*|wait\w*|be\s+delayed|gone\s+through|go\s+through|succeed\w*|"
    r"complet\w*|deliver\w*|arriv\w*|load\w*|(?:some\s+|brief\s+)?(?:delays?|errors?|"
    r"disruptions?|interruptions?|failures?|issues?|impact|data\s+loss|gaps?|downtime))\b",
    re.IGNORECASE,
)
# Doubt put around the impact without a modal verb: "it is possible that some requests
# failed", "customers were likely affected", "we believe a few customers saw errors".
_DOUBT = lazy(
    r"\b(?:it\s+is\s+possible\s+that|it['’]s\s+possible\s+that|there\s+is\s+a\s+(?:small\s+)?"
    r"(?:chance|possibility)\s+that|perhaps|we\s+believe\s+(?:that\s+)?(?:some|a\s+few|a\s+"
    r"small)|(?:were|was|have|has)\s+likely\s+(?:been\s+)?(?:affected|impacted|experienc\w+|"
    r"delayed|lost)|should\s+(?:now\s+|still\s+)?be\s+(?:minimal|limited|negligible|minor|small|"
    r"unaffected)"
    r"|it\s+(?:appears|seems)\s+(?:that\s+|as\s+though\s+|as\s+if\s+)?(?:some|a\s+few|customers|"
    r"users|requests|(?:\w+\s+)?(?:customers|users|requests|accounts)\s+(?:were|was|had))"
    r"|(?:it\s+is|it['’]s)\s+(?:likely|probable|possible)\s+that"
    r"|we\s+(?:think|suspect|believe)\s+(?:that\s+)?(?:some|a\s+few|a\s+small|customers|users|"
    r"(?:\w+\s+)?(?:customers|users|requests|accounts)\s+(?:were|was))"
    r"|(?:possibly|potentially|probably)\s+(?:unable|not\s+able|delayed|lost|missing|"
    r"failed|dropped))\b",
    re.IGNORECASE,
)
_POTENTIALLY = lazy(r"\b(?:potentially|possibly)\s+(?:been\s+)?(?:affected|impacted)\b", re.I)


@rule(
    "hedging",
    Severity.ERROR,
    "Makes an impact that is already known sound uncertain ('may have experienced').",
    rationale=(
        "Once the cause is identified, or after the fact, 'may have experienced' is not "
        "caution but evasion: you know who was hit. Say what happened to them. While the "
        "cause is still being looked for, 'may' is honest, and passes."
    ),
    bad="Users may have experienced errors between 14:00 and 14:30 UTC.",
    good="Between 14:00 and 14:30 UTC, 12% of API requests in eu-west failed with HTTP 503.",
    bad_status=Status.RESOLVED,
    why="once the cause is found, or after the fact, you know who was hit: 'may' reads as "
    "not wanting to say",
    policy="An error when a modal ('may', 'might', 'could have') puts a customer's experience "
    "in doubt and the cause is known: the status is identified, monitoring or resolved, or "
    "the text says the cause was found or the impact mitigated. A warning for 'potentially "
    "affected', and for 'may have' about the past while still investigating. Doubt without a "
    "modal counts the same once the cause is known: 'it appears that some requests failed', "
    "'we think a few customers were affected', 'it is likely that', 'possibly unable'. "
    "Nothing for 'may' about what is not known yet, or for advice ('you may retry').",
)
def hedging(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_MODALS):
        return
    known = subject.cause_known
    for match in _HEDGE.finditer(subject.text):
        past = " have " in f" {match.group().lower()} "
        if known:
            severity = Severity.ERROR
        elif past:
            severity = Severity.WARNING
        else:
            continue
        yield hedging.finding(
            subject,
            match.start(),
            match.end(),
            f"'{match.group()}' makes a known impact sound uncertain",
            "say what happens (or happened) to the affected customers, as a fact",
            severity=severity,
        )
    if known:
        for match in _DOUBT.finditer(subject.text):
            yield hedging.finding(
                subject,
                match.start(),
                match.end(),
                f"'{match.group()}' makes a known impact sound uncertain",
                "say who was affected and how, as a fact",
            )
        for match in _POTENTIALLY.finditer(subject.text):
            yield hedging.finding(
                subject,
                match.start(),
                match.end(),
                f"'{match.group()}' makes a known impact sound uncertain",
                "say who was affected, as a fact",
                severity=Severity.WARNING,
            )


# -- rote apology ---------------------------------------------------------------------------

_APOLOGY = lazy(r"\b(?:apologi[sz]e[sd]?|apologies|apology|sorry|regret)\b", re.I)
# What a rote apology apologises for: a noun that names no harm in particular.
_GENERIC_HARM = (
    r"(?:inconvenience\w*|trouble|troubles|disruption|disruptions|issues?|problems?|confusion|"
    r"impact|frustration|interruptions?|difficult(?:y|ies)|disturbance|situation|delays?|"
    r"outage|incident|any\s+\w+)"
)
_ROTE_OBJECT = lazy(
    r"\s*(?:for|about)\s+(?:(any|the|this|these|all|all\s+the|our|that)\s+)?"
    r"(?:(?:possible|temporary|recent|resulting|potential|unexpected)\s+)?"
    r"(" + _GENERIC_HARM + r")\b"
    r"(?!\s+(?:to|of|in|on|with|during|at|for)\s+(?!you\b|our\s+(?:customers|users|community)\b|"
    r"all\b|everyone\b|anyone\b|any\b|this\b))"
    r"(?!\s+(?:this|it|that)\s+(?:\w+\s+){0,3}?(?:caused|had|meant|put|brought)\s+"
    r"(?:to\s+|on\s+|for\s+)?"
    r"(?!you\b|our\s+(?:customers|users|community|clients)\b)(?:your|our|the)\s)",
    re.IGNORECASE,
)
# "Any" makes the harm hypothetical, whatever follows: "any disruption to your service".
_ROTE_ANY = lazy(
    r"\s*(?:(?:for|about)\s+)?any\s+(?:(?:possible|temporary|resulting|potential|unexpected)\s+)?"
    + _GENERIC_HARM
    + r"\b",
    re.IGNORECASE,
)
# "We apologize for the outage" names the event, if not the harm to you: not sure to be
# rote ("We apologize for the outage. It was caused by ..." often goes on to say what).
_NAMED_EVENT = lazy(
    r"\b(?:for|about)\s+(?:the|this|our|that)\s+(?:(?:recent|temporary)\s+)?(?:outage|incident)$",
    re.IGNORECASE,
)
_ROTE_TO = lazy(
    r"\s*to\s+(?:all\s+|our\s+|the\s+)*(?:customers|users|everyone|anyone|those|you)\s+"
    r"(?:who|whose|that)\s+(?:\w+\s+){0,3}?(?:impacted|affected|inconvenienced)\b",
    re.IGNORECASE,
)
_ROTE_ELSEWHERE = lazy(
    r"\b(?:inconvenience\s+(?:this|that|caused|it)\b[^.!?\n]*"
    r"|(?:we\s+)?take\s+(?:this|it|these\s+\w+|the\s+\w+\s+of\s+\w+)\s+(?:very\s+)?seriously"
    r"|(?:we\s+)?value\s+your\s+(?:business|patience|trust))",
    re.IGNORECASE,
)
_ROTE_TRIGGERS = frozenset(
    [
        "apologise",
        "apologize",
        "apologised",
        "apologized",
        "apologises",
        "apologizes",
        "apologies",
        "apology",
        "inconvenience",
        "inconvenienced",
        "regret",
        "seriously",
        "sorry",
        "value",
    ]
)


@rule(
    "rote-apology",
    Severity.ERROR,
    "An apology for nothing in particular ('any inconvenience', 'the trouble').",
    rationale=(
        "'Any inconvenience' suggests there may have been none, and customers have read it "
        "a thousand times. Say what you are sorry for: the checkout that failed, the "
        "data that was late."
    ),
    bad="We apologize for any inconvenience this may have caused.",
    good="We are sorry: for 40 minutes you could not take payments in eu-west.",
    why="an apology for 'any inconvenience' names no harm, so it reads as a formula, not as "
    "being sorry",
    policy="An error when the apology's object is 'any' harm ('any disruption to your "
    "service': 'any' makes it hypothetical, whatever follows), or a generic noun ('the "
    "trouble', 'the disruption') with nothing after it that says which harm, or it is "
    "addressed to 'customers who were impacted'; and for 'we take this seriously' or 'we "
    "value your business'. A warning for a bare 'the outage' or 'the incident': it names the "
    "event, and the text often goes on to say what it did. Nothing when the apology names "
    "the harm ('for the delayed post', "
    "'for the length of time it took us to restore service', 'for the impact this had on "
    "your builds').",
)
def rote_apology(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_ROTE_TRIGGERS):
        return
    text = subject.text
    seen: list[int] = []
    for apology in _APOLOGY.finditer(text):
        found = (
            _ROTE_OBJECT.match(text, apology.end())
            or _ROTE_ANY.match(text, apology.end())
            or _ROTE_TO.match(text, apology.end())
        )
        if found:
            seen.append(apology.start())
            words = text[apology.start() : found.end()].strip()
            yield rote_apology.finding(
                subject,
                apology.start(),
                found.end(),
                f"'{words}' apologises for nothing in particular",
                "apologise for what actually happened to customers, specifically",
                severity=Severity.WARNING if _NAMED_EVENT.search(words) else Severity.ERROR,
            )
    for match in _ROTE_ELSEWHERE.finditer(text):
        if any(start <= match.start() <= start + 80 for start in seen):
            continue
        yield rote_apology.finding(
            subject,
            match.start(),
            match.end(),
            f"'{match.group().strip()}' is a formula customers have read a thousand times",
            "apologise for what actually happened to customers, specifically",
        )


# -- promising a fix time -------------------------------------------------------------------

_FIX_TIME = lazy(
    r"\b(?:(?:will|should|expect\w*|going\s+to)\s+(?:\w+\s+){0,5}?"
    r"(?:be\s+)?(?:resolved|fixed|restored|back(?:\s+up|\s+online)?|recover\w*|recovery|"
    r"operational|working)"
    r"\s+(?:\w+\s+){0,2}?(?:in|within|by|before)\s+(?:approximately\s+|about\s+|around\s+)?"
    r"(?:" + DURATION + r"|" + CLOCK + r")"
    r"|(?:expect|should|will)\w*\s+(?:\w+\s+){0,4}?(?:be\s+)?(?:resolved|fixed|restored)\s+"
    r"(?:soon|shortly|quickly|momentarily))",
    re.IGNORECASE,
)
_FIX_TRIGGERS = frozenset(["expect", "expected", "expecting", "expects", "going", "should", "will"])


@rule(
    "fix-time",
    Severity.WARNING,
    "Promises when it will be fixed.",
    rationale=(
        "A fix time is a promise you do not control, and a missed one costs more trust than "
        "it bought. Promise the next update, which you do control."
    ),
    bad="This will be resolved in 10 minutes.",
    good="We are rolling back the change. Next update by 14:30 UTC.",
    why="a missed fix time costs more trust than it bought; the next update is the promise "
    "you control",
    policy="Always a warning: sometimes a team does know, and says so on purpose.",
)
def fix_time(subject: Subject) -> Iterator[Finding]:
    if not subject.has_any(_FIX_TRIGGERS) or subject.final:
        return
    for match in _FIX_TIME.finditer(subject.text):
        yield fix_time.finding(
            subject,
            match.start(),
            match.end(),
            f"'{match.group()}' promises a fix time",
            "promise the time of the next update instead, and say what is being done",
        )


RULES: list[Rule] = [minimizing, hedging, rote_apology, fix_time]
