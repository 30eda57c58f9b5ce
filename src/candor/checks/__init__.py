"""Candor checks: read a message the way an affected customer will, before it leaves.

:func:`check` runs every registered :class:`Rule` over a text and returns
:class:`Finding` objects: a stable code, a severity, the words that triggered
it, what they do to the reader and why, and a concrete suggestion. With an
incident given, the facts in the text are checked against it. Errors block
delivery (unless explicitly allowed with a reason, which is recorded); warnings
are shown, never block.

The package is the engine (:mod:`._rule`: what a rule is; :mod:`._engine`: the
registry and :func:`check`),
the subject a rule reads (:mod:`._subject`), and the rule families, each with
its vocabulary beside it: :mod:`.wording` (minimising, hedging, apologies, fix
times), :mod:`.cause` (vague and missing causes, blame), :mod:`.audience`
(internal detail, scope) and :mod:`.facts` (the next update, agreement with the
incident). The families load on first use.

Rules are added with :func:`register` or through the entry-point group
``candor.checks`` (read on first use), the same way adapters are;
:func:`reset_rules` restores candor's own.
"""

from __future__ import annotations

from candor.checks._engine import check, register, reset_rules, rules
from candor.checks._rule import Rule, RuleFunction
from candor.checks._subject import Subject
from candor.vocabulary import Finding, Severity

__all__ = [
    "Finding",
    "Rule",
    "RuleFunction",
    "Severity",
    "Subject",
    "check",
    "register",
    "reset_rules",
    "rules",
]
