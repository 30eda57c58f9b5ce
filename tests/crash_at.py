"""Kill a delivering process at a named step, from outside candor's code.

The crash-safety tests run each candor action in a child process that SIGKILLs
itself the N-th time it passes a step (``STEP:N``). candor holds no hook for
this: the child watches what candor already does in the open.

- ``committed``: the update and its outbox rows are saved (the log event
  ``update_recorded``);
- ``claimed``: outbox rows are claimed, in flight (``outbox_claimed``);
- ``sent``: a service answered a post, whose answer is not read yet: an httpx
  transport around the one the child's communicator uses (:meth:`CrashAt.transport`);
- ``response``: the answer is read, the receipt not recorded (``delivery_attempt``
  with outcome ``sent``);
- ``saved``: the receipt is recorded (``outcome_recorded`` with state ``sent``).

:meth:`CrashAt.configure` installs the log side as a structlog processor; candor
sends its events through structlog's configuration once there is one.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import MutableMapping
from typing import Any

import httpx
import structlog

__all__ = ["STEPS", "CrashAt"]

STEPS = ("committed", "claimed", "sent", "response", "saved")
"""The named steps, in the order one delivery passes them."""

# Requests that open or renew a session carry no post: a kill after them proves nothing.
_SESSION_PATHS = ("com.atproto.server.createSession", "com.atproto.server.refreshSession")


def step_of(event: MutableMapping[str, Any]) -> str | None:
    """The step a candor log event marks, or None."""
    name = event.get("event")
    if name == "update_recorded":
        return "committed"
    if name == "outbox_claimed":
        return "claimed"
    if name == "delivery_attempt" and event.get("outcome") == "sent":
        return "response"
    if name == "outcome_recorded" and event.get("state") == "sent":
        return "saved"
    return None


def posts(request: httpx.Request) -> bool:
    """Whether ``request`` hands a service something to publish (not a read, not a login)."""
    return request.method != "GET" and not request.url.path.endswith(_SESSION_PATHS)


class CrashAt:
    """SIGKILL this process the N-th time it passes ``step`` (``CrashAt("sent:3")``).

    ``None`` or an empty text never kills; a text that is not ``STEP:N`` is refused.
    """

    def __init__(self, spec: str | None) -> None:
        self.at: tuple[str, int] | None = None
        if spec:
            step, _, nth = spec.partition(":")
            if step not in STEPS or not nth.isdigit() or int(nth) < 1:
                raise ValueError(f"crash at {spec!r}: use STEP:N with STEP one of {STEPS}")
            self.at = (step, int(nth))
        self.seen: Counter[str] = Counter()

    def passed(self, step: str) -> None:
        """Count one pass of ``step``; the N-th pass of the armed step is the last."""
        self.seen[step] += 1
        if self.at == (step, self.seen[step]):
            os.kill(os.getpid(), signal.SIGKILL)

    def processor(
        self, _: object, __: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """A structlog processor: passes the step an event marks, then drops the event."""
        step = step_of(event)
        if step is not None:
            self.passed(step)
        raise structlog.DropEvent

    def configure(self) -> None:
        """Send every structlog event (candor's included) through :meth:`processor`."""
        structlog.configure(processors=[self.processor], cache_logger_on_first_use=False)

    def transport(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        """``inner``, passing ``sent`` each time a service has answered a post."""
        return _Watching(inner, self)


class _Watching(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, crash: CrashAt) -> None:
        self.inner = inner
        self.crash = crash

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if posts(request):
            self.crash.passed("sent")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
