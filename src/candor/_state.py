"""Everything candor keeps for the life of a process, in one place, with one reset.

candor's modules hold no state of their own between calls; what must outlive a
call lives here, so that a reader finds all of it at once and a test suite can
put it back as a fresh process has it (:func:`reset`, also
``candor.testing.reset``):

- ``state.adapter_entry_points``: the ``candor.adapters`` entry points, read on
  first use (``candor.adapters.registry``), None until then;
- ``state.secrets`` and ``state.secret_pattern``: every registered secret and
  the one pattern that masks them all (``candor.log``);
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
    import re
    from importlib.metadata import EntryPoint

__all__ = ["interceptor", "reset", "state"]


class _State:
    """The process-wide values; :meth:`restore` sets each to the default a fresh process has."""

    adapter_entry_points: dict[str, EntryPoint] | None
    secrets: set[str]
    secret_pattern: tuple[int, re.Pattern[str]] | None
    """(how many secrets it masks, the pattern): rebuilt once the set has grown."""
    captures: list[Any]
    """``candor.testing`` captures, typed Any: their class lives in a higher layer."""
    log_handler: logging.Handler | None
    """The handler candor's CLI put on the ``candor`` logger (see :func:`reset`)."""
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
        self.log_handler = None


state = _State()
"""The one instance; modules read and write its attributes, never copy them."""

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
