"""The engine: the registry of rules (built-in, plugins, reset) and :func:`check`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from candor._state import state
from candor.checks._rule import Rule
from candor.checks._subject import Subject
from candor.errors import AdapterError, InputError
from candor.model import Status
from candor.vocabulary import Finding

if TYPE_CHECKING:
    from candor.model import Incident

_REGISTRY: dict[str, Rule] = {}
_LOADED = {"builtins": False, "plugins": False}


def builtin_rules() -> list[Rule]:
    """candor's own rules, family by family, in the order they run."""
    # The rule families (their many patterns) load on first use, so that importing the
    # package stays cheap.
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


# candor.testing.reset() (through candor._state) puts the registry back with this.
state.check_rules_reset = reset_rules


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
    if channel is not None and not isinstance(channel, str):
        raise InputError("channel", channel, "must be a channel's name, or None")
    if only is not None:
        if isinstance(only, str) or not isinstance(only, Iterable):
            raise InputError("only", only, "give a list of check codes, such as ['fix-time']")
        only = tuple(only)
        for code in only:
            if not isinstance(code, str):
                raise InputError("only", code, "every check code must be a string")
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
