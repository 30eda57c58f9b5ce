"""One request to a service and its answer read, for adapters that speak HTTP.

:func:`send` makes the request on the shared client and turns what goes wrong
into a classified :class:`~candor.errors.DeliveryError` through
:mod:`candor.adapters.http` (never quoting a secret); :func:`answer` and
:func:`json_of` read the body. Part of the adapter kit: import these from
:mod:`candor.adapters`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from candor.adapters.http import (
    WaitReader,
    announced_wait,
    check_response,
    scrub,
    service_message,
    transport_error,
)
from candor.errors import DeliveryError

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["answer", "json_of", "send"]


async def send(
    client: httpx.AsyncClient,
    channel: str,
    method: str,
    url: str | httpx.URL,
    *,
    secrets: Collection[str],
    timeout: float,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    content: bytes | str | None = None,
    params: Mapping[str, str] | None = None,
    check: bool = True,
    slow_down: Collection[int] = (),
    now: datetime | None = None,
    wait: WaitReader | None = None,
) -> httpx.Response:
    """One request, and with ``check`` its answer classified by :func:`check_response`.

    A transport error (connect, timeout, lost connection) raises the
    DeliveryError of :func:`transport_error`, not chained to the original,
    which holds the URL. ``check=False`` returns any answer for the adapter to
    read itself (a session that expired, a duplicate it takes as posted).
    ``slow_down`` are statuses a service uses instead of 429 to say "too many
    requests" (Statuspage's 420): nothing was done, so they wait and retry.
    ``wait`` reads how long the service asks to wait (see :func:`check_response`).
    """
    try:
        response = await client.request(
            method,
            url,
            json=json,
            content=content,
            params=params,
            headers=dict(headers) if headers is not None else None,
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise transport_error(channel, exc, secrets=secrets) from None
    if not check:
        return response
    code = response.status_code
    if code in slow_down:
        said = service_message(response)
        reason = f"HTTP {code} too many requests" + (f": {said!r}" if said else "")
        asked = (wait or announced_wait)(response, now)
        raise DeliveryError(
            channel,
            scrub(reason, secrets),
            status_code=code,
            retry_after=asked.seconds if asked is not None else 1.0,
            maybe_delivered=False,
        )
    check_response(channel, response, secrets=secrets, now=now, wait=wait)
    return response


def answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON object a service answered with, or an empty dict (not JSON, or not an object)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def json_of(response: httpx.Response) -> Any:
    """The answer's JSON, whatever its shape, or None when it is not JSON."""
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        return response.json()
    except ValueError:
        return None
