"""A test hook that kills the process at a named step of delivery: see :func:`crash_point`.

It lives in a module of its own so that adapters can mark the step they own
(``sent``) without importing the delivery machinery.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

__all__ = ["CRASH_STEPS", "crash_point"]

CRASH_STEPS = ("committed", "claimed", "sent", "response", "saved")
"""The named steps :func:`crash_point` marks, in the order one delivery passes them."""


def _crash_spec(text: str | None) -> tuple[str, int] | None:
    if not text:
        return None
    step, _, nth = text.partition(":")
    if step not in CRASH_STEPS or not nth.isdigit() or int(nth) < 1:
        raise ValueError(f"CANDOR_CRASH_AT={text!r}: use STEP:N with STEP one of {CRASH_STEPS}")
    return step, int(nth)


_crash_at = _crash_spec(os.environ.get("CANDOR_CRASH_AT"))
_crash_seen: Counter[str] = Counter()


def crash_point(step: str) -> None:
    """A test hook: SIGKILL this process the N-th time it passes ``step``.

    Armed only by the environment variable ``CANDOR_CRASH_AT=step:N`` (read once,
    at import), which the crash-safety tests set on the processes they kill;
    unset, this is one comparison with None. Steps: ``committed`` (the update and
    its outbox are saved), ``claimed`` (rows are in flight), ``sent`` (the
    service has the request, its answer is not read), ``response`` (the answer
    is read, not recorded), ``saved`` (the receipt is recorded).
    """
    if _crash_at is None:
        return
    _crash_seen[step] += 1
    if _crash_at == (step, _crash_seen[step]):
        os.kill(os.getpid(), signal.SIGKILL)


def arm(spec: str | None) -> None:
    """Arm the hook as ``CANDOR_CRASH_AT=spec`` would (None disarms it); for test harnesses
    that fork workers from one process instead of starting each with the variable set."""
    global _crash_at
    _crash_at = _crash_spec(spec)
    _crash_seen.clear()
