"""One candor action in a process the crash test may SIGKILL: see test_social_crash.py.

Usage: python social_crash_child.py CONFIG ACTION [INCIDENT_ID] with ``CANDOR_TEST_CRASH_AT``
set to ``STEP:N`` (or not; see tests/crash_at.py); the clock runs ``CANDOR_TEST_OFFSET``
seconds ahead, so that a killed predecessor's claims have expired. Prints the incident id
after ``open``.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta

import httpx
from tests.crash_at import CrashAt

import candor
from candor._http.transport import FanoutTransport
from candor.delivery import DeliverySettings


def main() -> None:
    config, action, *rest = sys.argv[1:]
    offset = timedelta(seconds=float(os.environ.get("CANDOR_TEST_OFFSET", "0")))

    def clock() -> datetime:
        return datetime.now(UTC) + offset

    crash = CrashAt(os.environ.get("CANDOR_TEST_CRASH_AT"))
    crash.configure()
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(10.0), transport=crash.transport(FanoutTransport())
    )
    settings = DeliverySettings(max_attempts=2, backoff=0.01, backoff_max=0.02, lease=60)
    with candor.Communicator.from_config(
        config, clock=clock, delivery=settings, client=client
    ) as comms:
        if action == "open":
            incident = comms.open(
                "Checkout failing", {"components": ["Checkout"]}, "Checkout requests fail."
            )
            print(incident.id, flush=True)
        elif action == "update":
            comms.update(rest[0], status="identified", message="We found the cause.")
        elif action == "resolve":
            comms.resolve(
                rest[0],
                message="Checkout works again.",
                cause="a bad deploy",
                changed="We rolled it back.",
                prevention="Deploys now go to one region first.",
                postmortem_by="2026-12-31",
            )
        else:
            comms.deliver_pending()


if __name__ == "__main__":
    main()
