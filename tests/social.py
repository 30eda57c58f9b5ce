"""What the social adapters' tests share: one client for several fakes, and an incident's life."""

from __future__ import annotations

from pathlib import Path

import httpx

import candor
from candor.delivery import DeliverySettings
from candor.testing import Clock
from candor.testing.fakes import FakeService
from tests.conftest import api_outage

DELIVERY = DeliverySettings(max_attempts=3, backoff=0.01, backoff_max=0.05, retry_later=60)


def client_for(*fakes: FakeService) -> httpx.AsyncClient:
    """One client whose requests go to the fake of the host they are for."""
    by_host = {httpx.URL(fake.base_url).host: fake for fake in fakes}
    return httpx.AsyncClient(transport=httpx.MockTransport(lambda r: by_host[r.url.host](r)))


def communicator(
    tmp_path: Path, clock: Clock, channels: list[candor.Channel], *fakes: FakeService
) -> candor.Communicator:
    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)

    return candor.Communicator(
        channels,
        store=tmp_path / "candor.db",
        clock=clock,
        base_dir=tmp_path,
        client=client_for(*fakes),
        organization=candor.Organization(
            name="Acme", status_page_url="https://status.acme.example"
        ),
        delivery=DELIVERY,
        sleep=sleep,
    )


def open_incident(comms: candor.Communicator) -> candor.Incident:
    return comms.open(
        "API requests failing in eu-west",
        api_outage(),
        "Requests to the API in eu-west return 503 errors; ask @acme_support for help.",
    )


UPDATES = (
    ("identified", "A bad deploy broke routing; we are rolling it back."),
    ("monitoring", "The rollback is done and error rates are back to normal."),
    ("monitoring", "We keep watching error rates for another half hour."),
)


def update(comms: candor.Communicator, incident_id: str, number: int, clock: Clock) -> None:
    clock.advance(minutes=20)
    status, message = UPDATES[number]
    comms.update(incident_id, status=status, message=message)


def resolve(comms: candor.Communicator, incident_id: str, clock: Clock) -> None:
    clock.advance(minutes=20)
    comms.resolve(
        incident_id,
        message="Requests to the API in eu-west work again.",
        cause="a routing change in a deploy",
        changed="We rolled the deploy back.",
        prevention="Routing changes now go to one region first.",
        postmortem_by="2026-11-25",
    )


def live_through(comms: candor.Communicator, clock: Clock) -> candor.Incident:
    """Open, three updates, resolve: the incident as recorded after the five posts."""
    incident = open_incident(comms)
    for number in range(3):
        update(comms, incident.id, number, clock)
    resolve(comms, incident.id, clock)
    return comms.get(incident.id)


def docs_channel(page: str, environ: dict[str, str], tmp_path: Path) -> candor.Channel:
    """The channel of the first ``toml`` block of ``docs/<page>``, loaded as candor would."""
    from candor.config import load_config

    text = (Path(__file__).parents[1] / "docs" / page).read_text(encoding="utf-8")
    block = text.split("```toml\n", 1)[1].split("```", 1)[0]
    config = tmp_path / "candor.toml"
    config.write_text(block, encoding="utf-8")
    (channel,) = load_config(config, environ=environ).channels
    return channel
