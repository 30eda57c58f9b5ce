"""``statuspage``: drives an Atlassian Statuspage page through its REST API (v1).

Credentials: an API key and the page id. In Statuspage, open your avatar menu,
then **API info**: the page id is listed there, and **Create key** makes an API
key (it acts as the user who made it, who needs to be able to manage incidents).
Put the key in the environment and name it in ``candor.toml`` as
``api_key = "${STATUSPAGE_API_KEY}"``; it is sent as ``Authorization: OAuth <key>``
and never appears in a log line, an error or the store. The component ids are on
each component's edit page (the URL ends in ``/components/<id>/edit``) or from
``GET /pages/{page_id}/components``.

The first update of an incident creates the Statuspage incident; every later one
PATCHes that same incident (its id is the receipt's ``thread_root``), never
creates another. A correction edits the text of the incident update it corrects
in place ("Update a previous incident update"). Component statuses follow the policy (see
:mod:`candor.adapters.pages`): ``major_outage`` for a component that is down for
the customers it affects, whatever the fraction, ``degraded_performance`` for one
that is slow; a resolution returns them to ``operational``. Each incident carries
``metadata.candor`` (candor's incident and update ids), which is how an
ambiguous failure is reconciled: Statuspage has no idempotency key, so before
posting again the adapter asks whether the page already has the incident (or
the update) and adopts it. The service allows about one request per second per
key and answers 420 or 429 beyond it; both are waited out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from candor._version import __version__
from candor.adapters import (
    STATUSPAGE_COMPONENT_STATUS,
    Capabilities,
    ComponentState,
    Form,
    Imported,
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
from candor.model import Effect, Impact, Status

if TYPE_CHECKING:
    import httpx

    from candor.adapters import DeliveryContext, Message

__all__ = ["COMPONENT_STATUS", "StatuspageAdapter", "StatuspageSettings"]

GUARANTEE = (
    "one Statuspage incident per candor incident, updated in place; after a crash or timeout "
    "the adapter finds the incident (or update) by its candor metadata before posting again"
)

COMPONENT_STATUS: Mapping[ComponentState, str] = STATUSPAGE_COMPONENT_STATUS
"""Statuspage's component status for each of candor's component states."""


class StatuspageSettings(BaseModel):
    """The settings of a ``statuspage`` channel in ``candor.toml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    page_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    api_key: SecretStr
    components: Mapping[str, str] = Field(default_factory=dict)
    """candor component name -> Statuspage component id."""
    base_url: str = "https://api.statuspage.io/v1"
    deliver_notifications: bool = True
    timeout: float = Field(default=10.0, gt=0)
    rate_limit: float | None = Field(default=None, gt=0)
    """Requests per second, when not the service's allowance (see the capabilities)."""

    _base_url = field_validator("base_url")(http_url)
    _api_key = field_validator("api_key")(required_secret)


class StatuspageAdapter(ServiceAdapter[StatuspageSettings]):
    """Creates, then updates in place, one Statuspage incident per candor incident."""

    settings_model = StatuspageSettings
    capabilities = Capabilities(
        form=Form.LONG,
        threading=True,
        editing=True,
        # Statuspage allows about one request per second per key.
        rate_limit=1.0,
        burst=1,
        guarantee=GUARANTEE,
    )

    @property
    def _incidents(self) -> str:
        return f"{self.settings.base_url}/pages/{self.settings.page_id}/incidents"

    async def _request(
        self, channel: str, method: str, url: str, *, body: Any = None
    ) -> httpx.Response:
        """One request, its answer classified: 420 and 429 wait, refusals quote the service."""
        headers = {
            "Authorization": f"OAuth {self.settings.api_key.get_secret_value()}",
            "User-Agent": f"candor/{__version__}",
            "Accept": "application/json",
        }
        return await send(
            self.client,
            channel,
            method,
            url,
            headers=headers,
            secrets=self.secrets,
            timeout=self.settings.timeout,
            json=body,
            slow_down=(420,),
        )

    def body(self, message: Message, context: DeliveryContext, *, create: bool) -> dict[str, Any]:
        """The ``{"incident": {...}}`` document for ``message``: create, or PATCH the root."""
        components = {
            self.settings.components[name]: COMPONENT_STATUS[state]
            for name, state in component_states(context).items()
            if name in self.settings.components
        }
        incident: dict[str, Any] = {
            "status": message.status.value,
            "body": message.text,
            "impact_override": context.update.impact.value,
            "components": components,
            "component_ids": list(components),
            "deliver_notifications": self.settings.deliver_notifications,
            "metadata": {
                "candor": {
                    "incident_id": context.incident.id,
                    "update_id": context.update.id,
                    "seq": context.update.seq,
                }
            },
        }
        if create:
            incident = {"name": context.incident.title, **incident}
        return {"incident": incident}

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        """Create the incident (first update) or PATCH it (every later one)."""
        root = root_of(context)
        if root is None:
            url, method = self._incidents, "POST"
        else:
            url, method = f"{self._incidents}/{root}", "PATCH"
        body = self.body(message, context, create=root is None)
        response = await self._request(context.channel, method, url, body=body)
        return _receipt(context.channel, _json_object(context.channel, response))

    probe_is_local = False

    async def probe(self) -> str:
        """Read the page's unresolved incidents (the ``GET`` that importing uses); nothing changes.

        It needs the API key and the page id, so it checks both.
        """
        response = await self._request(self.channel.name, "GET", f"{self._incidents}/unresolved")
        found = json_of(response)
        count = len(found) if isinstance(found, list) else 0
        return (
            f"page {self.settings.page_id} read with the API key "
            f"({count} unresolved incident{'s' if count != 1 else ''})"
        )

    async def edit(self, message: Message, context: DeliveryContext) -> Receipt:
        """Replace the body of the incident update ``context.corrected`` (a correction).

        ``PATCH /pages/{page_id}/incidents/{incident_id}/incident_updates/{id}``
        (Statuspage's "Update a previous incident update"); the page shows the new
        text in the same place, and subscribers are not notified again.
        """
        receipt = context.corrected
        if receipt is None or not receipt.remote_id or not receipt.thread_root:
            raise DeliveryError(context.channel, "no incident update to edit", retryable=False)
        url = f"{self._incidents}/{receipt.thread_root}/incident_updates/{receipt.remote_id}"
        body = {"incident_update": {"body": message.text, "deliver_notifications": False}}
        response = await self._request(context.channel, "PATCH", url, body=body)
        answer = json_of(response)
        if not isinstance(answer, dict) or str(answer.get("id")) != receipt.remote_id:
            raise DeliveryError(
                context.channel,
                f"HTTP {response.status_code}: the answer is not the incident update edited",
                status_code=response.status_code,
                maybe_delivered=True,
            )
        return receipt.model_copy(update={"channel": context.channel})

    async def reconcile(self, message: Message, context: DeliveryContext) -> Receipt | None:
        """The receipt of an earlier attempt the page already has, or None to post again.

        For the first update: an unresolved incident whose metadata carries this
        candor incident's id. For a later one: the thread's incident, if its
        metadata already names this update.
        """
        root = root_of(context)
        if root is None:
            response = await self._request(context.channel, "GET", f"{self._incidents}/unresolved")
            found = json_of(response)
            for incident in found if isinstance(found, list) else []:
                if (
                    isinstance(incident, dict)
                    and _candor(incident).get("incident_id") == context.incident.id
                ):
                    return _receipt(context.channel, incident)
            return None
        response = await self._request(context.channel, "GET", f"{self._incidents}/{root}")
        incident = _json_object(context.channel, response)
        if _candor(incident).get("update_id") == context.update.id:
            return _receipt(context.channel, incident)
        return None

    async def existing(self) -> list[Imported]:
        """The page's unresolved incidents, oldest first, for ``candor import statuspage``.

        Scheduled maintenance is left out. Components map back to candor's names
        through ``components``; one the settings do not name keeps Statuspage's name.
        """
        channel = self.channel.name
        response = await self._request(channel, "GET", f"{self._incidents}/unresolved")
        found = json_of(response)
        if not isinstance(found, list):
            raise DeliveryError(channel, "the unresolved incidents are not a JSON list")
        names = {cid: name for name, cid in self.settings.components.items()}
        imported = []
        for incident in reversed(found):
            if not isinstance(incident, dict) or incident.get("status") not in _OPEN:
                continue
            parts = [c for c in incident.get("components") or () if isinstance(c, dict)]
            components = tuple(
                dict.fromkeys(
                    names.get(str(c.get("id")), str(c.get("name") or c.get("id"))) for c in parts
                )
            )
            statuses = {c.get("status") for c in parts}
            updates = [u for u in incident.get("incident_updates") or () if isinstance(u, dict)]
            newest = updates[0] if updates else {}
            receipt = _receipt(channel, incident)
            imported.append(
                Imported(
                    remote_id=str(incident["id"]),
                    remote_update_id=receipt.remote_id,
                    url=receipt.url,
                    title=str(incident.get("name") or "Incident")[:255],
                    status=Status(incident["status"]),
                    impact=Impact.parse(incident.get("impact") or "none"),
                    components=components or (str(incident.get("name") or "Service")[:255],),
                    effect=(
                        Effect.DEGRADED if statuses == {"degraded_performance"} else Effect.OUTAGE
                    ),
                    message=str(newest.get("body") or incident.get("name") or "Incident"),
                    started_at=_parse_time(
                        incident.get("started_at") or incident.get("created_at")
                    ),
                    candor_incident_id=_candor(incident).get("incident_id"),
                )
            )
        return imported


_OPEN = {"investigating", "identified", "monitoring"}


def _parse_time(value: object) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(UTC)
    return datetime.now(UTC)


def _json_object(channel: str, response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not answer.get("id"):
        raise DeliveryError(
            channel,
            f"HTTP {response.status_code}: the answer is not a Statuspage incident",
            status_code=response.status_code,
            maybe_delivered=True,
        )
    return answer


def _candor(incident: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = incident.get("metadata")
    mine = metadata.get("candor") if isinstance(metadata, dict) else None
    return mine if isinstance(mine, dict) else {}


def _receipt(channel: str, incident: Mapping[str, Any]) -> Receipt:
    """The receipt of a post: the newest incident update, in the incident's thread."""
    incident_id = str(incident["id"])
    updates = incident.get("incident_updates")
    newest = updates[0] if isinstance(updates, list) and updates else None
    remote_id = str(newest["id"]) if isinstance(newest, dict) and newest.get("id") else incident_id
    link = incident.get("shortlink")
    return Receipt(
        channel=channel,
        remote_id=remote_id,
        url=link if isinstance(link, str) and link.startswith(("https://", "http://")) else None,
        thread_root=incident_id,
    )
