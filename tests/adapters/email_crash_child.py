"""One candor action over the email channel, in a process the crash test may SIGKILL.

Usage: python email_crash_child.py CONFIG ACTION [ARGUMENT]: ``seed N`` subscribes N
confirmed addresses, ``open``, ``update ID``, ``resolve ID``, ``deliver``. The clock runs
``CANDOR_TEST_OFFSET`` seconds ahead, so that a killed predecessor's claims have expired.
The test kills this process from the SMTP server's side (see test_email_crash.py).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta

import candor
from candor.delivery import DeliverySettings


def main() -> None:
    config, action, *rest = sys.argv[1:]
    offset = timedelta(seconds=float(os.environ.get("CANDOR_TEST_OFFSET", "0")))

    def clock() -> datetime:
        return datetime.now(UTC) + offset

    settings = DeliverySettings(max_attempts=2, backoff=0.01, backoff_max=0.02, lease=60)
    with candor.Communicator.from_config(config, clock=clock, delivery=settings) as comms:
        if action == "seed":
            for n in range(int(rest[0])):
                comms.subscribe(f"person{n}@example.org", confirmed=True)
        elif action == "open":
            comms.open("Checkout failing", {"components": ["Checkout"]}, "Checkout fails.")
        elif action == "update":
            comms.update(rest[0], status="identified", message="A bad deploy; rolling back.")
        elif action == "resolve":
            comms.resolve(
                rest[0],
                message="Checkout works again.",
                cause="a bad deploy",
                changed="We rolled it back.",
                postmortem_by=(clock() + timedelta(days=5)).date().isoformat(),
            )
        else:
            comms.deliver_pending()


if __name__ == "__main__":
    main()
