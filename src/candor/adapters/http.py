"""One reading of HTTP answers and transport errors, for every adapter that speaks HTTP.

Adapters call :func:`check_response` on the service's answer and
:func:`transport_error` on an ``httpx`` exception; both give a
:class:`~candor.errors.DeliveryError` classified the way delivery needs it:

========================================  ==========  ===============  ===================
what happened                             retryable   maybe_delivered  retry_after
========================================  ==========  ===============  ===================
connect error or timeout, pool timeout    yes         no               -
an address the address policy refuses     no          no               -
a proxy refusing the tunnel (CONNECT)     yes         no               -
read timeout, connection lost mid-answer  yes         yes              -
2xx                                       (no error)
408, 425                                  yes         no               -
409 (an idempotency key still in use)     yes         yes              -
429                                       yes         no               as the service says
503 with a wait (Retry-After & co.)       yes         no               as the service says
other 5xx, 503 without a wait             yes         yes              -
3xx, 400, 401, 403, 404, 413, other 4xx   no          no               -
========================================  ==========  ===============  ===================

The wait is read from a ``Retry-After`` header (seconds or an HTTP date), a JSON
body's ``retry_after`` (seconds: Discord, Slack-style APIs; or
``parameters.retry_after``: Telegram) or Matrix's ``retry_after_ms``. A refusal
quotes the service's own message. ``secrets`` are replaced by ``**********`` in
every message built here, so a service that echoes a token back, or a URL that
carries one, never reaches a log line, an exception or the store.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import NamedTuple

import httpx

from candor.errors import DeliveryError

__all__ = [
    "LONGEST_WAIT",
    "Wait",
    "WaitReader",
    "announced_wait",
    "check_response",
    "discord_wait",
    "epoch_seconds",
    "header_seconds",
    "reset_header",
    "retry_after",
    "scrub",
    "seconds",
    "service_message",
    "transport_error",
]

MASK = "**********"
_QUOTE_LIMIT = 300
# httpx.ProxyError: the proxy refused the CONNECT (or SOCKS) tunnel; nothing reached the service.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
_NEVER_WORKS = (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.LocalProtocolError)


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every non-empty secret in ``secrets`` replaced by ``**********``."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


LONGEST_WAIT = 10 * 365 * 86400.0
"""The longest wait the parsers here report (ten years); a longer one, ``inf`` too, reads as it.

Delivery caps every wait far below this (``DeliverySettings.max_retry_after``);
the bound only keeps a date arithmetic of any caller from overflowing.
"""

_DELAY_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def seconds(value: object) -> float | None:
    """A wait a service gave as a number, if it is one candor can believe; else None.

    Booleans, strings, ``nan`` and negative numbers are None (no wait announced);
    ``inf`` and anything past :data:`LONGEST_WAIT` read as :data:`LONGEST_WAIT`.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int with hundreds of digits
        return LONGEST_WAIT if value > 0 else None
    if math.isnan(number) or number < 0:
        return None
    return min(number, LONGEST_WAIT)


def header_seconds(text: str | None, *, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` value: delay-seconds or an HTTP date (RFC 9110, 10.2.3), defensively.

    Seconds are ASCII digits (a fraction, or a number Python reads, is taken
    too); ``inf`` reads as the longest wait, and ``nan``, a negative number, or
    text that is neither seconds nor a date gives None. A date is measured from
    ``now`` (the current time when None); a date in the past means no wait (0).
    """
    if text is None:
        return None
    text = text.strip()
    if _DELAY_SECONDS.fullmatch(text):
        whole = text.partition(".")[0]
        if len(whole) > 15:  # more digits than any wait worth reading exactly
            return LONGEST_WAIT
        return seconds(float(text))
    try:
        # Not HTTP's form, but what some services send: "1e3", "inf", "-5", "nan".
        return seconds(float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    moment = now if now is not None else datetime.now(UTC)
    return seconds(max(0.0, (when - moment).total_seconds()))


def epoch_seconds(text: str | None, *, now: datetime | None = None) -> float | None:
    """The wait until a reset time given in epoch seconds (X's ``x-rate-limit-reset``).

    A time in the past means no wait (0); anything that is not a number is None.
    """
    if text is None or not _DELAY_SECONDS.fullmatch(text.strip()):
        return None
    whole = text.strip().partition(".")[0]
    if len(whole) > 15:
        return LONGEST_WAIT
    moment = now if now is not None else datetime.now(UTC)
    return seconds(max(0.0, float(text) - moment.timestamp()))


def retry_after(response: httpx.Response, *, now: datetime | None = None) -> float | None:
    """Seconds the service asks us to wait before trying again, or None if it does not say.

    Read from ``Retry-After`` (:func:`header_seconds`), else a JSON body's
    ``retry_after_ms``, ``retry_after`` or ``parameters.retry_after`` (:func:`seconds`).
    Never ``inf`` nor ``nan``: at most :data:`LONGEST_WAIT`.
    """
    header = header_seconds(response.headers.get("Retry-After"), now=now)
    if header is not None:
        return header
    body = _json(response)
    if isinstance(body, dict):
        for key, scale in (("retry_after_ms", 0.001), ("retry_after", 1.0)):
            value = seconds(body.get(key))
            if value is not None:
                return LONGEST_WAIT if value >= LONGEST_WAIT else value * scale
        parameters = body.get("parameters")
        if isinstance(parameters, dict):
            return seconds(parameters.get("retry_after"))
    return None


class Wait(NamedTuple):
    """A wait a service asked for, in seconds, and what it holds back when the service says."""

    seconds: float
    scope: str | None = None
    """``"global"`` when every request of the account waits (Discord), else None."""


WaitReader = Callable[[httpx.Response, datetime | None], Wait | None]
"""How an adapter reads its service's "too many requests" answer into a :class:`Wait`."""


def announced_wait(response: httpx.Response, now: datetime | None = None) -> Wait | None:
    """The default :data:`WaitReader`: ``Retry-After`` or a JSON body (:func:`retry_after`)."""
    wait = retry_after(response, now=now)
    return Wait(wait) if wait is not None else None


def reset_header(name: str) -> WaitReader:
    """A :data:`WaitReader` for a service that gives the time its window resets, in epoch seconds.

    X answers 429 with ``x-rate-limit-reset`` and no ``Retry-After``: reading
    the reset is what keeps candor from trying again inside the window. Where
    the header is missing or not a number, the default reading applies.
    """

    def read(response: httpx.Response, now: datetime | None = None) -> Wait | None:
        wait = epoch_seconds(response.headers.get(name), now=now)
        return Wait(wait) if wait is not None else announced_wait(response, now)

    return read


def discord_wait(response: httpx.Response, now: datetime | None = None) -> Wait | None:
    """Discord's 429: the body's ``retry_after`` (seconds, with a fraction) and ``global``.

    Discord's rate-limit object (``RatelimitedResponse`` in its OpenAPI
    description) requires both fields; the body's wait is more precise than the
    whole seconds of ``Retry-After``, which is read only when the body has none.
    ``global`` true, or an ``X-RateLimit-Scope: global`` header, means the whole
    application waits, not this webhook alone.
    """
    body = _json(response)
    scope_header = response.headers.get("X-RateLimit-Scope", "").strip().lower()
    is_global = scope_header == "global"
    wait: float | None = None
    if isinstance(body, dict):
        wait = seconds(body.get("retry_after"))
        is_global = is_global or body.get("global") is True
    if wait is None:
        wait = header_seconds(response.headers.get("Retry-After"), now=now)
    if wait is None:
        return None
    return Wait(wait, "global" if is_global else None)


def service_message(response: httpx.Response) -> str:
    """What the service said about a refusal, in one line of at most 300 characters."""
    body = _json(response)
    said = ""
    if isinstance(body, dict):
        for key in ("error_description", "message", "error", "detail", "errors", "title"):
            value = body.get(key)
            if value:
                said = value if isinstance(value, str) else json.dumps(value)
                break
        code = body.get("errcode")  # Matrix
        if isinstance(code, str):
            said = f"{code}: {said}" if said else code
    if not said:
        try:
            said = response.text
        except (UnicodeDecodeError, httpx.ResponseNotRead):
            said = ""
    said = " ".join(said.split())
    if len(said) > _QUOTE_LIMIT:
        said = said[: _QUOTE_LIMIT - 1] + "…"
    return said


def check_response(
    channel: str,
    response: httpx.Response,
    *,
    secrets: Iterable[str | None] = (),
    now: datetime | None = None,
    wait: WaitReader | None = None,
) -> None:
    """Return if the service took the request (2xx); raise a classified DeliveryError if not.

    ``wait`` reads how long a 429 (or 503) asks to wait, where the service has
    its own way of saying it (:func:`reset_header`, :func:`discord_wait`); by
    default ``Retry-After`` or the body (:func:`announced_wait`).
    """
    code = response.status_code
    if 200 <= code < 300:
        return
    said = service_message(response)
    reason = f"HTTP {code} {response.reason_phrase}".rstrip()
    if said:
        reason += f": {said!r}"
    asked = (wait or announced_wait)(response, now) if code in {429, 503} else None
    if asked is not None and asked.scope:
        reason += f" ({asked.scope} rate limit)"
    reason = scrub(reason, secrets)
    wait_seconds = asked.seconds if asked is not None else None
    if code == 429 or (code == 503 and wait_seconds is not None):
        raise DeliveryError(
            channel, reason, status_code=code, retry_after=wait_seconds, maybe_delivered=False
        )
    if code >= 500:
        raise DeliveryError(channel, reason, status_code=code, maybe_delivered=True)
    if code in {408, 425}:
        raise DeliveryError(channel, reason, status_code=code, maybe_delivered=False)
    if code == 409:
        raise DeliveryError(channel, reason, status_code=code, maybe_delivered=True)
    if 300 <= code < 400:
        reason += " (a redirect: check the channel's URL)"
    raise DeliveryError(channel, reason, status_code=code, retryable=False, maybe_delivered=False)


def transport_error(
    channel: str, error: httpx.HTTPError, *, secrets: Iterable[str | None] = ()
) -> DeliveryError:
    """The DeliveryError for an ``httpx`` exception raised while sending a request.

    The request's URL is never quoted (it may carry a token); raise the result
    ``from None`` so that the original, which holds the URL, is not chained.
    """
    what = type(error).__name__
    detail = scrub(str(error), secrets)
    request_url = _request_url(error)
    if request_url:
        detail = scrub(detail, [request_url])
    reason = f"{what}: {detail}" if detail else what
    # An error that says trying again cannot help (candor's address policy refusing
    # where a host name resolves: the transport raises it with ``retryable = False``).
    if isinstance(error, _NEVER_WORKS) or getattr(error, "retryable", True) is False:
        return DeliveryError(channel, reason, retryable=False, maybe_delivered=False)
    if isinstance(error, _NOT_SENT):
        return DeliveryError(channel, reason, maybe_delivered=False)
    return DeliveryError(channel, reason, maybe_delivered=True)


def _request_url(error: httpx.HTTPError) -> str | None:
    try:
        return str(error.request.url)
    except RuntimeError:  # an error raised with no request attached
        return None


def _json(response: httpx.Response) -> object:
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError, httpx.ResponseNotRead):
        return None
