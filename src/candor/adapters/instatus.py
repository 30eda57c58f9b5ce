"""``instatus``: drives an Instatus status page through its REST API (``api.instatus.com``).

Credentials: an API key and the page id. In Instatus, open your profile
(**User settings**), then **Developer settings**, and create an API key; the
page id is in ``GET https://api.instatus.com/v2/pages`` (or the page's
settings). Put the key in the environment and name it in ``candor.toml`` as
``api_key = "${INSTATUS_API_KEY}"``; it is sent as ``Authorization: Bearer
<key>`` and never appears in a log line, an error or the store. Component ids
come from ``GET /v1/{page_id}/components``.

The first update creates the Instatus incident (``POST /v1/{page_id}/incidents``);
every later one is an incident update on it
(``POST /v1/{page_id}/incidents/{id}/incident-updates``), never a second
incident. Component statuses follow the policy: ``MAJOROUTAGE`` for a component
that is down for the customers it affects, whatever the fraction,
``DEGRADEDPERFORMANCE`` when it is slow, ``OPERATIONAL`` on resolution. Instatus
has no idempotency key: after an ambiguous failure the adapter looks for the
incident (an unresolved one with the same name and text, on every page of
``GET /v1/{page_id}/incidents``) or the update (one with the same text in the
incident's ``updates``, not already another update's receipt) before posting
again.
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

__all__ = ["COMPONENT_STATUS", "InstatusAdapter", "InstatusSettings"]

GUARANTEE = (
    "one Instatus incident per candor incident, each later update an incident update on it; "
    "after a crash or timeout the adapter finds the incident or update by its text "
    "before posting again"
)

COMPONENT_STATUS: Mapping[ComponentState, str] = {
    ComponentState.OPERATIONAL: "OPERATIONAL",
    ComponentState.DEGRADED: "DEGRADEDPERFORMANCE",
    ComponentState.OUTAGE: "MAJOROUTAGE",
}
"""Instatus's component status for each of candor's component states."""

PER_PAGE = 100
"""Incidents asked for a page: Instatus's maximum (https://instatus.com/help/api/incidents)."""
MAX_PAGES = 20


class InstatusSettings(BaseModel):
    """The settings of an ``instatus`` channel in ``candor.toml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    page_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    api_key: SecretStr
    components: Mapping[str, str] = Field(default_factory=dict)
    """candor component name -> Instatus component id."""
    base_url: str = "https://api.instatus.com"
    notify: bool = True
    """Whether Instatus notifies the page's subscribers."""
    timeout: float = Field(default=10.0, gt=0)
    rate_limit: float | None = Field(default=None, gt=0)
    """Requests per second, when not the service's allowance (see the capabilities)."""
    burst: int | None = Field(default=None, ge=1)

    _base_url = field_validator("base_url")(http_url)
    _api_key = field_validator("api_key")(required_secret)


class InstatusAdapter(ServiceAdapter[InstatusSettings]):
    """Creates one Instatus incident per candor incident and posts each later update on it."""

    settings_model = InstatusSettings
    capabilities = Capabilities(
        form=Form.LONG,
        threading=True,
        rate_limit=1.0,
        burst=1,
        guarantee=GUARANTEE,
    )

    @property
    def _incidents(self) -> str:
        return f"{self.settings.base_url}/v1/{self.settings.page_id}/incidents"

    async def _request(
        self,
        channel: str,
        method: str,
        url: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        response = await send(
            self.client,
            channel,
            method,
            url,
            headers={
                "Authorization": f"Bearer {self.settings.api_key.get_secret_value()}",
                "User-Agent": f"candor/{__version__}",
                "Accept": "application/json",
            },
            secrets=self.secrets,
            timeout=self.settings.timeout,
            json=body,
            params=params,
        )
        return json_of(response)

    def body(self, message: Message, context: DeliveryContext) -> dict[str, Any]:
        """The fields of an incident or incident update for ``message``."""
        components = {
            self.settings.components[name]: COMPONENT_STATUS[state]
            for name, state in component_states(context).items()
            if name in self.settings.components
        }
        return {
            "message": message.text,
            "status": message.status.value.upper(),
            "components": list(components),
            "statuses": [{"id": cid, "status": status} for cid, status in components.items()],
            "notify": self.settings.notify,
            "started": context.update.created_at.isoformat(),
        }

    probe_is_local = False

    async def probe(self) -> str:
        """Read one page of the page's incidents (``GET``, with the API key); nothing changes."""
        answer = await self._request(
            self.channel.name, "GET", self._incidents, params={"page": "1", "per_page": "1"}
        )
        kind = "a list of incidents" if isinstance(answer, list) else "an answer"
        return f"page {self.settings.page_id} read with the API key ({kind})"

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        """Create the incident (first update) or post an incident update on it."""
        root = root_of(context)
        body = self.body(message, context)
        if root is None:
            answer = await self._request(
                context.channel,
                "POST",
                self._incidents,
                body={"name": context.incident.title, **body},
            )
            incident_id = _id(context.channel, answer)
            return Receipt(channel=context.channel, remote_id=incident_id, thread_root=incident_id)
        answer = await self._request(
            context.channel, "POST", f"{self._incidents}/{root}/incident-updates", body=body
        )
        return Receipt(
            channel=context.channel, remote_id=_id(context.channel, answer), thread_root=root
        )

    async def reconcile(self, message: Message, context: DeliveryContext) -> Receipt | None:
        """The receipt of an earlier attempt Instatus already has, or None to post again.

        Instatus lists an incident's updates under ``updates`` and pages its
        incidents, 100 at most a page
        (https://instatus.com/help/api/incidents); every page is read.
        """
        root = root_of(context)
        if root is None:
            for incident in await self._open_incidents(context.channel, message):
                said = {update.get("message") for update in _updates(incident)}
                if incident.get("name") == context.incident.title and message.text in said:
                    incident_id = str(incident["id"])
                    return Receipt(
                        channel=context.channel, remote_id=incident_id, thread_root=incident_id
                    )
            return None
        answer = await self._request(context.channel, "GET", f"{self._incidents}/{root}")
        # An update already receipted on this channel is an earlier update's, not this one's;
        # so is the incident's opening update (its receipt holds the incident's id).
        taken = {receipt.remote_id for receipt in context.previous}
        updates = _updates(answer if isinstance(answer, dict) else {})
        if updates:
            opening = min(updates, key=lambda u: str(u.get("createdAt") or u.get("started") or ""))
            taken.add(str(opening.get("id")))
        for update in updates:
            found = update.get("id")
            if update.get("message") == message.text and found and str(found) not in taken:
                return Receipt(channel=context.channel, remote_id=str(found), thread_root=root)
        return None

    async def _open_incidents(self, channel: str, message: Message) -> list[dict[str, Any]]:
        """Every incident of the page that could be the one an earlier attempt created.

        Unresolved ones only, unless the message itself resolves (filtered with
        ``!status``, as https://instatus.com/help/api/incidents documents).
        """
        params = {"per_page": str(PER_PAGE)}
        if message.status is not Status.RESOLVED:
            params["!status"] = "RESOLVED"
        found: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            answer = await self._request(
                channel, "GET", self._incidents, params={**params, "page": str(page)}
            )
            batch = [i for i in answer if isinstance(i, dict)] if isinstance(answer, list) else []
            found += [i for i in batch if "id" in i]
            if len(batch) < PER_PAGE:
                return found
        raise DeliveryError(
            channel,
            f"more than {PER_PAGE * MAX_PAGES} open incidents on the page: cannot tell whether "
            "the incident was created; resolve old ones in Instatus",
            maybe_delivered=True,
        )


def _id(channel: str, answer: Any) -> str:
    if not isinstance(answer, dict) or answer.get("id") in (None, ""):
        raise DeliveryError(
            channel, "the answer has no id: is base_url Instatus's API?", maybe_delivered=True
        )
    return str(answer["id"])


def _updates(incident: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The incident's updates, listed under ``updates`` (https://instatus.com/help/api/incidents)."""
    found = incident.get("updates")
    return [u for u in found if isinstance(u, dict)] if isinstance(found, list) else []
