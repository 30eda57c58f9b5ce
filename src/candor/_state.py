"""Everything candor keeps for the life of a process, in one place, with one reset.

candor's modules hold no state of their own between calls; what must outlive a
call lives here, so that a reader finds all of it at once and a test suite can
put it back as a fresh process has it (:func:`reset`, also
``candor.testing.reset``):

- ``state.adapter_entry_points``: the ``candor.adapters`` entry points, read on
  first use (``candor.adapters.registry``), None until then;
- ``state.secrets`` and ``state.secret_pattern``: every registered secret and
  the one pattern that masks them all; :func:`masked` applies it (``candor.log``
  to log lines, :class:`~candor.errors.DeliveryError` to its reason,
  :class:`~candor.vocabulary.Receipt` to what a service answered);
- ``state.check_rules_reset``: how to forget the check rules registered so far,
  set by the module that keeps them;
- ``state.captures``: the captures active, innermost last (for
  ``candor.testing.current_outbox``);
- ``state.configured_structlog``: whether candor's CLI configured structlog
  in this process (a library never does);
- :data:`interceptor`: what ``candor.testing.capture`` installs so that every
  communicator made in its context posts to memory; a context variable, so a
  capture in one thread or task never reaches another.

This module imports nothing from candor: every layer may ask it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = ["MASK", "interceptor", "masked", "reset", "secret_pattern", "state"]

MASK = "**********"
"""What a secret is shown as, everywhere."""


class _State:
    """The process-wide values; :meth:`restore` sets each to the default a fresh process has."""

    adapter_entry_points: dict[str, EntryPoint] | None
    secrets: set[str]
    secret_pattern: tuple[int, re.Pattern[str]] | None
    """(how many secrets it masks, the pattern): rebuilt once the set has grown."""
    captures: list[Any]
    """``candor.testing`` captures, typed Any: their class lives in a higher layer."""
    configured_structlog: bool
    """Whether candor (its CLI) called ``structlog.configure()`` in this process."""
    check_rules_reset: Callable[[], None] | None
    """Registered by the module that keeps the check rules; kept across :meth:`restore`."""

    def __init__(self) -> None:
        self.check_rules_reset = None
        self.restore()

    def restore(self) -> None:
        self.adapter_entry_points = None
        self.secrets = set()
        self.secret_pattern = None
        self.captures = []
        self.configured_structlog = False


state = _State()
"""The one instance; modules read and write its attributes, never copy them."""

# Every registered secret in one pattern, longest first (so that a secret that contains
# another is masked whole): a fan-out to 200 webhooks registers hundreds, and scanning
# for each in turn in every value of every event cost more than the event. It is rebuilt
# on first use after the set grew (secrets are only ever added between resets), not on
# each registration, which would compile it once per channel.


def secret_pattern() -> re.Pattern[str] | None:
    """The pattern matching every registered secret; None while there is none."""
    held = state.secret_pattern
    secrets = state.secrets
    if held is not None and held[0] == len(secrets):
        return held[1]
    if not secrets:
        return None
    ordered = sorted(secrets, key=len, reverse=True)
    compiled = re.compile("|".join(re.escape(secret) for secret in ordered))
    # Assigned whole, so that a thread logging meanwhile sees the old pair or the new.
    state.secret_pattern = (len(ordered), compiled)
    return compiled


def masked(text: str) -> str:
    """``text`` with every registered secret replaced by :data:`MASK`."""
    pattern = secret_pattern()
    return text if pattern is None or not text else pattern.sub(MASK, text)


# Typed Any rather than with the Interceptor protocol: that protocol names types of
# the layers above, which this module must not import. The facade reads it as one.
interceptor: ContextVar[Any] = ContextVar("candor_interceptor", default=None)


def reset() -> None:
    """Put candor's process-wide state back as a fresh process has it.

    Forgets the adapter entry points read (the next lookup reads them again),
    every registered secret, the active captures, the check rules registered
    after candor's own, and the structlog configuration candor's CLI made (one
    an application made is left alone); in the current context it also removes
    any capture's interceptor. For test suites: a running application has no reason to call it.
    """
    if state.configured_structlog:
        import structlog  # only when candor configured it, so only once it is imported

        structlog.reset_defaults()
    state.restore()
    if state.check_rules_reset is not None:
        state.check_rules_reset()
    interceptor.set(None)
