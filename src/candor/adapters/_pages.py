"""What the status-page adapters share: which components an update puts in which state.

The policy, once for every status page: a component that is down for the
customers it affects is in a full outage for as long as it is, whatever the
fraction ("partial is full"); one that is slow but working is degraded; a
resolution returns every component the incident touched to operational, and a
component an update drops from the scope goes back to operational too. The
message body says the precise scope (regions, the fraction or count).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from candor.errors import DeliveryError
from candor.model import Effect, Status

if TYPE_CHECKING:
    import httpx

    from candor.vocabulary import DeliveryContext, Receipt

__all__ = ["ComponentState", "component_states", "json_of", "root_of", "send"]


class ComponentState(StrEnum):
    """A component's state in candor's terms; each adapter maps it to its service's words."""

    OPERATIONAL = "operational"
    DEGRADED = "degraded"
    OUTAGE = "outage"


def component_states(context: DeliveryContext) -> dict[str, ComponentState]:
    """Every component the incident has named up to this update, with its state now.

    Keys are candor's component names, in the order they were first named.
    """
    update = context.update
    touched: dict[str, None] = {}
    for earlier in context.incident.updates:
        if earlier.seq > update.seq:
            break
        touched.update(dict.fromkeys(earlier.scope.components))
    touched.update(dict.fromkeys(update.scope.components))
    if update.status is Status.RESOLVED:
        return dict.fromkeys(touched, ComponentState.OPERATIONAL)
    now = (
        ComponentState.DEGRADED if update.scope.effect is Effect.DEGRADED else ComponentState.OUTAGE
    )
    current = set(update.scope.components)
    return {name: now if name in current else ComponentState.OPERATIONAL for name in touched}


def root_of(previous: Sequence[Receipt]) -> str | None:
    """The remote incident id of the thread, from the first earlier receipt."""
    if not previous:
        return None
    first = previous[0]
    return first.thread_root or first.remote_id


async def send(
    client: httpx.AsyncClient,
    channel: str,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    secrets: Collection[str],
    timeout: float,
    body: Any = None,
    params: Mapping[str, str] | None = None,
    slow_down: Collection[int] = (),
) -> httpx.Response:
    """One request, its answer classified by :mod:`candor.adapters.http`.

    ``slow_down`` are statuses a service uses instead of 429 to say "too many
    requests" (Statuspage's 420): nothing was done, so they wait and retry.
    """
    import httpx

    from candor.adapters.http import (
        check_response,
        retry_after,
        scrub,
        service_message,
        transport_error,
    )

    try:
        response = await client.request(
            method, url, json=body, params=params, headers=dict(headers), timeout=timeout
        )
    except httpx.HTTPError as exc:
        raise transport_error(channel, exc, secrets=secrets) from None
    code = response.status_code
    if code in slow_down:
        said = service_message(response)
        reason = f"HTTP {code} too many requests" + (f": {said!r}" if said else "")
        wait = retry_after(response)
        raise DeliveryError(
            channel,
            scrub(reason, secrets),
            status_code=code,
            retry_after=wait if wait is not None else 1.0,
            maybe_delivered=False,
        )
    check_response(channel, response, secrets=secrets)
    return response


def json_of(response: httpx.Response) -> Any:
    """The answer's JSON, or None when it is not JSON."""
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        return response.json()
    except ValueError:
        return None
