"""What a rule is: :class:`Rule`, and the decorator candor's own rules are made with."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from candor.checks._subject import Subject
from candor.model import Status
from candor.vocabulary import Finding, Severity

__all__ = ["Rule", "RuleFunction", "rule"]

RuleFunction = Callable[[Subject], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A named check: ``code`` is stable, ``find`` yields findings for a subject.

    ``severity`` is the rule's usual weight; a rule may report a finding it is
    less sure of as a warning. ``summary``, ``rationale``, ``bad`` and ``good``
    document it (the rules page shows them, and a test runs every rule on its own
    examples); ``why`` is the reader's reason the words count, given with every
    finding; ``policy`` says when the rule's finding is an error and when a warning.
    """

    code: str
    severity: Severity
    summary: str
    rationale: str
    bad: str
    good: str
    find: RuleFunction = field(repr=False)
    bad_status: Status | None = None
    why: str = ""
    policy: str = ""

    def finding(
        self,
        subject: Subject,
        start: int,
        end: int,
        message: str,
        suggestion: str,
        *,
        severity: Severity | None = None,
        why: str | None = None,
    ) -> Finding:
        return Finding(
            code=self.code,
            severity=severity or self.severity,
            start=start,
            end=end,
            excerpt=subject.text[start:end],
            message=message,
            suggestion=suggestion,
            why=self.why if why is None else why,
        )


def rule(
    code: str,
    severity: Severity,
    summary: str,
    *,
    rationale: str,
    bad: str,
    good: str,
    why: str,
    policy: str,
    bad_status: Status | None = None,
) -> Callable[[RuleFunction], Rule]:
    """Make a built-in :class:`Rule` of the decorated function (the registry adds it)."""

    def decorate(function: RuleFunction) -> Rule:
        return Rule(
            code=code,
            severity=severity,
            summary=summary,
            rationale=rationale,
            bad=bad,
            good=good,
            find=function,
            bad_status=bad_status,
            why=why,
            policy=policy,
        )

    return decorate
