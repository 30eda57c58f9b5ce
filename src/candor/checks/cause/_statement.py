"""The causal-statement reader: whether a text states a cause, in any voice or tense."""

from __future__ import annotations

import re

from candor.checks._pattern import lazy
from candor.checks._subject import Subject
from candor.checks.cause._nothing import names_nothing
from candor.checks.cause._trouble import (
    DETERMINER,
    EVENT_HEADS,
    ISSUE_HEADS,
    LOAD,
    MODIFIERS,
    VAGUE_NP,
    subject_before,
)

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


# What a cause is usually made of: a sentence naming one of these may be telling the cause
# in words the rule cannot read, so the rule is not sure there is none.
MECHANISM = frozenset(
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


# A cause's place holding only a noun of trouble: an issue, whatever it is "with", or an
# event qualified by nothing but generic words.
_ONLY_VAGUE = lazy(
    r"^\s*(?:" + DETERMINER + MODIFIERS + ISSUE_HEADS + r"\b(?:\s+(?:with|in|on|at|of|affecting|"
    r"from)\s+.{1,60})?|" + VAGUE_NP + r"|" + LOAD + r")\s*$",
    re.IGNORECASE,
)
_RELATIVE = lazy(r",?\s+(?:that|which)\s+(?:(?:may|might|could|has|have|had|would)\s+)*$", re.I)
_ENDS_VAGUE = lazy(
    r"(?:" + ISSUE_HEADS + r")\b(?:\s+(?:with|in|on|at|of|affecting)\s+[\w.\s-]{1,40})?\s*$", re.I
)
_ENDS_IN_TROUBLE = lazy(
    r"(?:\b(?:"
    + ISSUE_HEADS
    + r"|"
    + EVENT_HEADS
    + r")\b|"
    + LOAD
    + r")(?:\s+(?:with|in|on|at|of|affecting)\s+"
    r"[\w.\s-]{1,40})?\s*,?\s*(?:(?:that|which)\s+)?(?:(?:may|might|could|has|have|had|also)\s+)*$",
    re.IGNORECASE,
)
_ANAPHOR = lazy(r"(?:^|\W)(?:this|that|which|it|these)\s*$", re.IGNORECASE)


_APOLOGY_WORDS = lazy(r"\b(?:apologi\w+|sorry|regret|inconvenience\w*)\b", re.IGNORECASE)
# What a causal verb must be followed by to state an effect: not nothing, not "you", not the
# rest of an apology ("... this may have caused, and appreciate your patience").
_NO_EFFECT = lazy(r"^\s*(?:you\b|to\s+you\b|us\b|and\b|or\b|[.,;!?)]|$)", re.IGNORECASE)


def _names_a_mechanism(subject: Subject, sentence: str) -> bool:
    """Whether the text before this sentence, or this sentence, names a thing that can fail."""
    upto = subject.text[: subject.text.find(sentence) + len(sentence)]
    words = set(re.findall(r"\b[a-z]+\b", upto))
    return bool(words & MECHANISM) or bool(_CONDITION.search(upto))


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
            before = subject_before(sentence, match.start())
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
