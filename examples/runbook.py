"""A runbook for a payments outage, from the first alert to the promised write-up.

It shows what an on-call engineer's script does with candor:

* build a ``candor.Communicator`` with two channels, a public static status page
  and the console (an internal channel: every message is printed here too);
* open an incident with a ``candor.Scope`` saying exactly who is affected
  (components, regions, the share and the number of customers);
* post an update once the cause is identified, then another once a fix is being
  monitored; each one promises the next update, and candor keeps count;
* resolve it with the cause and a date by which the write-up will be published;
* check that no promise made to customers has been broken (``comms.overdue()``);
* publish the write-up, which keeps the last promise, move an action item on,
  close the books and print the comms scorecard (``comms.report()``).

Run it as ``python examples/runbook.py [folder]``. The store (``candor.db``) and
the status page (``site/``) are written into ``folder``, or into a new temporary
folder when none is given; open ``site/index.html`` in a browser afterwards.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import candor


def main(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    channels = [
        candor.Channel(
            name="status",
            adapter="static_site",
            settings={"path": "site", "components": ["Checkout API", "Dashboard", "Webhooks"]},
        ),
        candor.Channel(name="console", adapter="console", audience=candor.Audience.INTERNAL),
    ]
    organization = candor.Organization(name="Acme Cloud", timezone="UTC")

    with candor.Communicator(
        channels, store=folder / "candor.db", organization=organization, base_dir=folder
    ) as comms:
        # 1. The alert fired: say what is broken and for whom, before knowing why.
        incident = comms.open(
            "Checkout API failing in eu-west",
            candor.Scope(
                components=["Checkout API"],
                regions=["eu-west"],
                affected_fraction=0.012,
                affected_count=1843,
                customers="merchants",
            ),
            "Card payments through the Checkout API in eu-west fail with HTTP 503. "
            "Orders are not being taken for the affected merchants.",
        )

        # 2. The cause is known: say it, and what customers can safely do meanwhile.
        comms.update(
            incident.id,
            status="identified",
            cause="a configuration change sent payment traffic to servers taken out of service",
            message="Payments that failed were not charged; retrying them is safe.",
        )

        # 3. The change is rolled back: watch before calling it fixed.
        comms.update(
            incident.id,
            status="monitoring",
            message="We rolled back the configuration change. Payments in eu-west succeed again.",
            next_update_in="20m",
        )

        # 4. It holds: resolve, with the cause and a date for the write-up.
        incident = comms.resolve(
            incident.id,
            message="Payments through the Checkout API in eu-west have succeeded normally "
            "since the rollback. Every load balancer change is now checked against the "
            "servers in service before it is applied.",
            cause="a load balancer configuration change sent traffic to servers that were "
            "out of service",
            postmortem_by=datetime.now(UTC) + timedelta(days=3),
        )

        # 5. Every update promised the next one; none of those promises may be broken.
        broken = comms.overdue()

        # 6. The write-up keeps the last promise; then the books can be closed.
        incident = comms.publish_postmortem(
            incident.id,
            summary="For 25 minutes, card payments failed for 1.2% of our merchants in eu-west.",
            what_happened="A load balancer configuration change sent payment traffic to "
            "servers that were out of service. We rolled the change back.",
            what_we_are_doing="Every load balancer change is now checked against the servers "
            "in service before it is applied.",
            action_items=["Check load balancer changes against the servers in service"],
        )
        comms.set_action_item(incident.id, 1, "done")
        comms.close_incident(incident.id)
        scorecard = comms.report(incident.id)

    if incident.status is not candor.Status.RESOLVED:
        print(f"{incident.id} is {incident.status}, not resolved", file=sys.stderr)
        return 1
    if broken:
        for promise in broken:
            print(f"broken promise: {promise.kind} due {promise.due_at}", file=sys.stderr)
        return 1
    for delivery in incident.deliveries:
        if delivery.state is not candor.DeliveryState.SENT:
            print(f"not delivered to {delivery.channel}: {delivery.last_error}", file=sys.stderr)
            return 1

    site = folder / "site"
    print(f"{incident.id} resolved after {len(incident.updates)} updates.")
    print(f"Status page:   {site / 'index.html'}")
    print(f"Incident page: {site / 'incidents' / f'{incident.id}.html'}")
    print(f"Write-up promised by {incident.postmortem_by:%Y-%m-%d %H:%M} UTC, and published.")
    print(scorecard.text())
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1:
        target = Path(sys.argv[1])
    else:
        target = Path(tempfile.mkdtemp(prefix="candor-runbook-"))
    sys.exit(main(target))
