"""Everything candor keeps for the life of a process, in one place, with one reset.

candor's modules hold no state of their own between calls; what must outlive a
call lives here, so that a reader finds all of it at once and a test suite can
put it back as a fresh process has it (:func:`reset`, also
``candor.testing.reset``):

- ``state.adapter_entry_points``: the ``candor.adapters`` entry points, read on
  first use (``candor.adapters.registry``), None until then;
- ``state.secrets`` and ``state.secret_index``: every registered secret, and
  the same by their beginnings; :func:`masked` masks them all (``candor.log``
  to log lines, :class:`~candor.errors.DeliveryError` to its reason,
  :class:`~candor.vocabulary.Receipt` to what a service answered);
- ``state.check_rules_reset``: how to forget the check rules registered so far,
  set by the module that keeps them;
- ``state.captures``: the captures active, innermost last (for
  ``candor.testing.current_outbox``);
- ``state.log_handler``: the handler candor's CLI put on the ``candor``
  logger to print its events on standard error (``candor.log.log_to_stderr``;
  a library never does), None until then;
- :data:`interceptor`: what ``candor.testing.capture`` installs so that every
  communicator made in its context posts to memory; a context variable, so a
  capture in one thread or task never reaches another.

This module imports nothing from candor: every layer may ask it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = ["MASK", "SHORTEST", "interceptor", "masked", "reset", "state"]

MASK = "**********"
"""What a secret is shown as, everywhere."""

SHORTEST = 6
"""The length of the shortest secret registered: shorter ones would mangle ordinary words."""


class _State:
    """The process-wide values; :meth:`restore` sets each to the default a fresh process has."""

    adapter_entry_points: dict[str, EntryPoint] | None
    secrets: set[str]
    secret_index: dict[str, tuple[str, ...]]
    """Every secret by its first :data:`SHORTEST` characters, the longest first (:func:`masked`)."""
    captures: list[Any]
    """``candor.testing`` captures, typed Any: their class lives in a higher layer."""
    log_handler: logging.Handler | None
    """The handler candor's CLI put on the ``candor`` logger (see :func:`reset`)."""
    check_rules_reset: Callable[[], None] | None
    """Registered by the module that keeps the check rules; kept across :meth:`restore`."""

    def __init__(self) -> None:
        self.check_rules_reset = None
        self.restore()

    def add_secret(self, value: str) -> None:
        """Remember ``value`` (at least :data:`SHORTEST` characters) as a secret to mask."""
        if len(value) < SHORTEST or value in self.secrets:
            return
        self.secrets.add(value)
        key = value[:SHORTEST]
        held = self.secret_index.get(key, ())
        # A new tuple, assigned whole: a thread masking meanwhile sees the old one or this.
        self.secret_index[key] = tuple(sorted((*held, value), key=len, reverse=True))

    def restore(self) -> None:
        self.adapter_entry_points = None
        self.secrets = set()
        self.secret_index = {}
        self.captures = []
        self.log_handler = None


state = _State()
"""The one instance; modules read and write its attributes, never copy them."""


def masked(text: str) -> str:
    """``text`` with every registered secret replaced by :data:`MASK`.

    At each position the longest secret that starts there is masked, so a
    secret that contains another is masked whole. The secrets are found by
    their first :data:`SHORTEST` characters in one dictionary
    (``state.secret_index``), so the cost is one lookup per character of
    ``text`` however many secrets there are: a fan-out to 200 webhooks
    registers thousands (each secret with its pieces), and one regular
    expression of them all cost close to a millisecond per string and as
    much as a second to compile each time the set grew.
    """
    index = state.secret_index
    if not index or len(text) < SHORTEST:
        return text
    pieces: list[str] = []
    kept = position = 0
    last = len(text) - SHORTEST
    lookup = index.get
    while position <= last:
        candidates = lookup(text[position : position + SHORTEST])
        if candidates is not None:
            for secret in candidates:  # the longest first
                if text.startswith(secret, position):
                    pieces += (text[kept:position], MASK)
                    position = kept = position + len(secret)
                    break
            else:
                position += 1
        else:
            position += 1
    if not pieces:
        return text
    pieces.append(text[kept:])
    return "".join(pieces)


# Typed Any rather than with the Interceptor protocol: that protocol names types of
# the layers above, which this module must not import. The facade reads it as one.
interceptor: ContextVar[Any] = ContextVar("candor_interceptor", default=None)


def reset() -> None:
    """Put candor's process-wide state back as a fresh process has it.

    Forgets the adapter entry points read (the next lookup reads them again),
    every registered secret, the active captures, the check rules registered
    after candor's own, and the logging candor's CLI set up (a logging or
    structlog configuration an application made is left alone); in the current
    context it also removes any capture's interceptor. For test suites: a running
    application has no reason to call it.
    """
    if state.log_handler is not None:
        logger = logging.getLogger("candor")
        logger.removeHandler(state.log_handler)
        logger.setLevel(logging.NOTSET)
    state.restore()
    if state.check_rules_reset is not None:
        state.check_rules_reset()
    interceptor.set(None)
