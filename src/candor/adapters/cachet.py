"""``cachet``: drives a Cachet 3 status page (``cachethq/core``) through its REST API.

Credentials: an API token. In Cachet's dashboard, open **Settings**, then
**API Keys** (Manage API Keys), and create a key with the abilities
``incidents.manage``, ``incident-updates.manage`` and ``components.manage``.
Put it in the environment and name it in ``candor.toml`` as
``token = "${CACHET_TOKEN}"``; it is sent as ``Authorization: Bearer <token>``
and never appears in a log line, an error or the store. ``base_url`` is your
Cachet's address (the API is under ``/api``); component ids are in the
dashboard's component list or from ``GET /api/components``.

The first update creates the Cachet incident (``POST /api/incidents``); every
later one is an incident update on it (``POST /api/incidents/{id}/updates``),
never a second incident. Statuses map to Cachet's: investigating,
identified, watching (candor's monitoring) and fixed (resolved). Component
statuses follow the policy: ``major_outage`` for a component that is down for
the customers it affects, ``performance_issues`` when it is slow, and back to
``operational`` on resolution (``PUT /api/components/{id}``). Cachet has no
idempotency key: after an ambiguous failure the adapter looks for the incident
(an open one with the same name and text) or the update (one with the same
text) before posting again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from candor._version import __version__
from candor.adapters import (
    Capabilities,
    ComponentState,
    Form,
    Receipt,
    ServiceAdapter,
    component_states,
    http_url,
    json_of,
    required_secret,
    root_of,
    send,
)
from candor.errors import DeliveryError
from candor.model import Status

if TYPE_CHECKING:
    from candor.adapters import DeliveryContext, Message

__all__ = ["COMPONENT_STATUS", "INCIDENT_STATUS", "CachetAdapter", "CachetSettings"]

GUARANTEE = (
    "one Cachet incident per candor incident, each later update an incident update on it; "
    "after a crash or timeout the adapter finds the incident or update by its text "
    "before posting again"
)

INCIDENT_STATUS: Mapping[Status, int] = {
    Status.INVESTIGATING: 1,
    Status.IDENTIFIED: 2,
    Status.MONITORING: 3,  # Cachet calls it "watching"
    Status.RESOLVED: 4,  # "fixed"
}
"""Cachet 3's incident status values (``IncidentStatusEnum``) for candor's statuses."""

COMPONENT_STATUS: Mapping[ComponentState, int] = {
    ComponentState.OPERATIONAL: 1,
    ComponentState.DEGRADED: 2,  # performance_issues
    ComponentState.OUTAGE: 4,  # major_outage
}
"""Cachet 3's component status values (``ComponentStatusEnum``) for candor's states."""


class CachetSettings(BaseModel):
    """The settings of a ``cachet`` channel in ``candor.toml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str
    """Your Cachet's address, such as ``https://status.example.com``."""
    token: SecretStr
    components: Mapping[str, int] = Field(default_factory=dict)
    """candor component name -> Cachet component id."""
    notifications: bool = True
    """Whether Cachet notifies its subscribers of a new incident."""
    timeout: float = Field(default=10.0, gt=0)
    rate_limit: float | None = Field(default=None, gt=0)
    """Requests per second, when not the service's allowance (see the capabilities)."""
    burst: int | None = Field(default=None, ge=1)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value).removesuffix("/api")

    _token = field_validator("token")(required_secret)


class CachetAdapter(ServiceAdapter[CachetSettings]):
    """Creates one Cachet incident per candor incident and posts each later update on it."""

    settings_model = CachetSettings
    capabilities = Capabilities(
        form=Form.LONG,
        threading=True,
        # Cachet 3 allows 300 requests a minute per IP address by default
        # (https://docs.cachethq.io/api-reference/rate-limiting; CACHET_API_RATE_LIMIT).
        rate_limit=5.0,
        burst=5,
        guarantee=GUARANTEE,
    )

    @property
    def _api(self) -> str:
        return f"{self.settings.base_url}/api"

    async def _request(
        self,
        channel: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        response = await send(
            self.client,
            channel,
            method,
            f"{self._api}{path}",
            headers={
                "Authorization": f"Bearer {self.settings.token.get_secret_value()}",
                "User-Agent": f"candor/{__version__}",
                "Accept": "application/json",
            },
            secrets=self.secrets,
            timeout=self.settings.timeout,
            json=body,
            params=params,
        )
        return json_of(response)

    def _components(self, context: DeliveryContext) -> dict[int, int]:
        return {
            self.settings.components[name]: COMPONENT_STATUS[state]
            for name, state in component_states(context).items()
            if name in self.settings.components
        }

    probe_is_local = False

    async def probe(self) -> str:
        """Read one incident of the page (``GET /incidents``); nothing changes.

        Cachet answers reads without a token, so the token is checked only at
        the first post: this says the page is there and answers.
        """
        await self._request(self.channel.name, "GET", "/incidents", params={"per_page": "1"})
        return f"{self.settings.base_url} answered (the token is used only to post: not checked)"

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        """Create the incident (first update) or post an incident update on it."""
        root = root_of(context)
        status = INCIDENT_STATUS[message.status]
        if root is None:
            # A new incident takes one component_id / component_status pair at most
            # (https://docs.cachethq.io/api-reference/incidents/create-incident): every
            # component is set by its own PUT after the incident is made.
            body = {
                "name": context.incident.title,
                "message": message.text,
                "status": status,
                "visible": True,
                "notifications": self.settings.notifications,
            }
            answer = await self._request(context.channel, "POST", "/incidents", body=body)
            incident_id = _data_id(context.channel, answer)
            await self._set_components(context, posted=f"the incident (id {incident_id})")
            return Receipt(channel=context.channel, remote_id=incident_id, thread_root=incident_id)
        answer = await self._request(
            context.channel,
            "POST",
            f"/incidents/{root}/updates",
            body={"message": message.text, "status": status},
        )
        update_id = _data_id(context.channel, answer)
        await self._set_components(context, posted=f"the update (id {update_id})")
        return Receipt(
            channel=context.channel, remote_id=f"{root}/updates/{update_id}", thread_root=root
        )

    async def _set_components(self, context: DeliveryContext, *, posted: str) -> None:
        """Set every component's status (``PUT /api/components/{id}``), after ``posted``.

        ``posted`` is already on the page, so a failure here must not read as "not
        delivered" (the courier would post it again): it is raised as maybe
        delivered, and the next attempt's :meth:`reconcile` finds what was posted
        and sets the components again, until they are set or the row is given up,
        with an error saying which component was left at which status.
        """
        for component_id, status in self._components(context).items():
            try:
                await self._request(
                    context.channel, "PUT", f"/components/{component_id}", body={"status": status}
                )
            except DeliveryError as error:
                then = (
                    "it is set again on the next attempt" if error.retryable else "set it by hand"
                )
                raise DeliveryError(
                    context.channel,
                    f"{posted} was posted, but setting component {component_id} to status "
                    f"{status} failed ({error.reason}); {then}",
                    status_code=error.status_code,
                    retryable=error.retryable,
                    maybe_delivered=True,
                ) from None

    async def reconcile(self, message: Message, context: DeliveryContext) -> Receipt | None:
        """The receipt of an earlier attempt Cachet already has, or None to post again."""
        root = root_of(context)
        if root is None:
            answer = await self._request(
                context.channel, "GET", "/incidents", params={"sort": "-id", "per_page": "50"}
            )
            for incident in _data_list(answer):
                fields = incident.get("attributes", incident)
                if (
                    fields.get("name") == context.incident.title
                    and fields.get("message") == message.text
                ):
                    incident_id = str(incident["id"])
                    # The incident landed; the component statuses that follow it may not have.
                    await self._set_components(context, posted=f"the incident (id {incident_id})")
                    return Receipt(
                        channel=context.channel, remote_id=incident_id, thread_root=incident_id
                    )
            return None
        answer = await self._request(
            context.channel,
            "GET",
            f"/incidents/{root}/updates",
            params={"sort": "-created_at", "per_page": "50"},
        )
        # An update already receipted on this channel is an earlier update's, not this one's.
        taken = {receipt.remote_id for receipt in context.previous}
        for update in _data_list(answer):
            remote_id = f"{root}/updates/{update['id']}"
            if update.get("attributes", update).get("message") == message.text and (
                remote_id not in taken
            ):
                # The update landed; the component statuses that follow it may not have.
                await self._set_components(context, posted=f"the update (id {update['id']})")
                return Receipt(channel=context.channel, remote_id=remote_id, thread_root=root)
        return None


def _data_id(channel: str, answer: Any) -> str:
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict) or data.get("id") in (None, ""):
        raise DeliveryError(
            channel, "the answer has no data.id: is base_url a Cachet 3?", maybe_delivered=True
        )
    return str(data["id"])


def _data_list(answer: Any) -> list[dict[str, Any]]:
    data = answer.get("data") if isinstance(answer, dict) else None
    return [item for item in data if isinstance(item, dict) and "id" in item] if data else []
