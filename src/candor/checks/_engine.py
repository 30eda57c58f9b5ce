"""The engine: :class:`Rule`, the registry (built-in rules, plugins, reset) and :func:`check`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from candor.checks._finding import Finding, Severity
from candor.checks._subject import Subject
from candor.errors import AdapterError, InputError
from candor.model import Status

if TYPE_CHECKING:
    from candor.model import Incident

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


_REGISTRY: dict[str, Rule] = {}
_LOADED = {"builtins": False, "plugins": False}


def builtin_rules() -> list[Rule]:
    """candor's own rules, family by family, in the order they run."""
    # The rule families load on first use, so that importing the package (the renderer
    # does, for Finding) stays cheap.
    from candor.checks import audience, cause, facts, wording

    return [*wording.RULES, *cause.RULES, *audience.RULES, *facts.RULES]


def _ensure_builtins() -> None:
    if not _LOADED["builtins"]:
        _LOADED["builtins"] = True
        for built_in in builtin_rules():
            _REGISTRY.setdefault(built_in.code, built_in)


def register(rule: Rule) -> Rule:
    """Add ``rule`` to the checks every message goes through; its code must be new."""
    _ensure_builtins()
    if rule.code in _REGISTRY and _REGISTRY[rule.code] is not rule:
        raise InputError("rule.code", rule.code, "a rule with this code is already registered")
    _REGISTRY[rule.code] = rule
    return rule


def reset_rules() -> None:
    """Forget every added rule: back to candor's own, with plugins read again on next use."""
    _REGISTRY.clear()
    _LOADED["builtins"] = False
    _LOADED["plugins"] = False


def rules() -> list[Rule]:
    """Every registered rule, candor's own first, then plugins' (entry points ``candor.checks``)."""
    _ensure_builtins()
    if not _LOADED["plugins"]:
        _LOADED["plugins"] = True
        from importlib.metadata import entry_points  # read on first use only

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
    for each in rules():
        if only is None or each.code in only:
            found.extend(each.find(subject))
    found.sort(key=lambda f: (f.start, f.code))
    return found
