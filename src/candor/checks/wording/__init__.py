"""Wording rules: words that shrink the impact, hedge a known impact, apologise by rote, or
promise a fix time.

Each rule reads the shape of the phrase, not a list of set phrases: a minimiser
counts only where it qualifies what customers suffer (who, how badly, how long),
a hedge only where it makes a known impact sound uncertain, an apology only
where what it apologises for is generic.

The rules, each a module with its vocabulary beside it: :mod:`._minimizing`,
:mod:`._hedging`, :mod:`._rote_apology` and :mod:`._fix_time`.
"""

from __future__ import annotations

from candor.checks._rule import Rule
from candor.checks.wording._fix_time import fix_time
from candor.checks.wording._hedging import hedging
from candor.checks.wording._minimizing import minimizing
from candor.checks.wording._rote_apology import rote_apology

__all__ = ["RULES", "fix_time", "hedging", "minimizing", "rote_apology"]

RULES: list[Rule] = [minimizing, hedging, rote_apology, fix_time]
