"""``candor demo``: a realistic incident from open to resolved, on the embedded default.

The incident is played on a simulated clock that ends just before the real
now, so the status page reads as if it had happened over the last hour and a
half: opened, cause identified, fix applied, resolved with a write-up promised.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from candor.communicator import Communicator
from candor.model import Organization, Scope
from candor.vocabulary import Audience, Channel

__all__ = ["run_demo"]


class _SimulatedClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)


def run_demo(directory: Path | None = None, *, quiet: bool = False) -> dict[str, Path]:
    """Play the demo incident in ``directory`` (a new temporary folder if None)."""
    folder = (
        Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="candor-demo-"))
    )
    folder.mkdir(parents=True, exist_ok=True)
    clock = _SimulatedClock(
        datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=95)
    )
    channels = [
        Channel(
            name="status",
            adapter="static_site",
            settings={"path": "site", "components": ["Checkout API", "Dashboard", "Webhooks"]},
        )
    ]
    if not quiet:
        channels.append(Channel(name="console", adapter="console", audience=Audience.INTERNAL))
    organization = Organization(name="Acme Cloud", timezone="UTC")
    with Communicator(
        channels,
        store=folder / "candor.db",
        organization=organization,
        clock=clock,
        base_dir=folder,
    ) as comms:
        incident = comms.open(
            "Checkout API failing in eu-west",
            Scope(
                components=["Checkout API"],
                regions=["eu-west"],
                affected_fraction=0.012,
                affected_count=1843,
                customers="merchants",
            ),
            "Card payments through the Checkout API in eu-west fail with HTTP 503. "
            "Orders are not being taken for the affected merchants.",
            started_at=clock.now - timedelta(minutes=7),
        )
        clock.advance(24)
        comms.update(
            incident.id,
            status="identified",
            cause="a configuration change to our eu-west load balancers sent payment "
            "traffic to a pool of servers that had been taken out of service",
            message="Payments that failed were not charged; retrying them is safe.",
        )
        clock.advance(21)
        fixed_at = clock.now
        comms.update(
            incident.id,
            status="monitoring",
            message="We rolled back the configuration change at "
            f"{clock.now:%H:%M} UTC. Payments in eu-west are succeeding again.",
        )
        clock.advance(35)
        comms.resolve(
            incident.id,
            message="Payments through the Checkout API in eu-west have succeeded normally "
            "for 35 minutes.",
            cause="a load balancer configuration change sent traffic to servers that were "
            "out of service",
            changed="we rolled the configuration change back",
            prevention="every load balancer change is now checked against the list of servers "
            "in service before it is applied",
            postmortem_by=clock.now + timedelta(days=3),
            ended_at=fixed_at,  # the fix held from the rollback; this only confirms it
        )
    site = folder / "site"
    return {
        "folder": folder,
        "store": folder / "candor.db",
        "index": site / "index.html",
        "feed": site / "feed.atom",
        "summary": site / "api" / "v2" / "summary.json",
        "incident": site / "incidents" / f"{incident.id}.html",
    }
