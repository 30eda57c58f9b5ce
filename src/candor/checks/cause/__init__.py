"""Cause rules: a cause that explains nothing, a resolution without one, blame put elsewhere.

A cause is recognised by the shape of a causal statement, in any voice and
tense: something that happened or held (an event, a condition), a causal verb
or connective ("caused", "led to", "resulted in", "due to", "because",
"triggered", "introduced", "ran out of ..., which stopped ..."), and an
effect. What fills the cause's place decides whether it explains anything: "a
change to our load balancers" does, "a technical issue" does not.

The rules, each in its own module with its vocabulary: vague-cause
(:mod:`._vague_cause`), no-cause (:mod:`._no_cause`), blames-others
(:mod:`._blames_others`). What two of them share: the nouns of trouble
(:mod:`._trouble`), whether a cause's place names nothing (:mod:`._nothing`),
where a vague cause stands (:mod:`._spans`) and the causal-statement reader
(:mod:`._statement`).
"""

from __future__ import annotations

from candor.checks._rule import Rule
from candor.checks.cause._blames_others import blames_others
from candor.checks.cause._no_cause import no_cause
from candor.checks.cause._nothing import names_nothing
from candor.checks.cause._spans import empty_causes
from candor.checks.cause._statement import cause_statement
from candor.checks.cause._vague_cause import vague_cause

__all__ = [
    "RULES",
    "blames_others",
    "cause_statement",
    "empty_causes",
    "names_nothing",
    "no_cause",
    "vague_cause",
]

RULES: list[Rule] = [vague_cause, no_cause, blames_others]
