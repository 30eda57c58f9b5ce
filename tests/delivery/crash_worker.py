"""The process the crash-safety test kills: a fork server that runs one candor action per child.

Started once by ``tests/delivery/test_crash.py``, it imports candor and reads
commands, one JSON object a line, from standard input::

    {"config": "candor.toml", "action": "open" | "update" | "resolve" | "deliver",
     "incident_id": "inc-...", "crash": "sent:3" | null, "offset": 7200, "parallel": 1}

For each it forks ``parallel`` children (already warm, so each costs
milliseconds rather than an interpreter start). A child arms a
:class:`~tests.crash_at.CrashAt` with ``crash`` (on candor's log events and
around its HTTP transport: candor itself has no crash hook), runs the action on
a clock ``offset`` seconds ahead of now (so that the claims of a killed
predecessor have expired and retries are due), and exits. The worker
answers with one JSON line: how each child ended, ``"killed"`` or ``"exit N"``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from tests.crash_at import CrashAt

import candor
from candor._http.transport import FanoutTransport
from candor.adapters import registry
from candor.delivery import DeliverySettings

SETTINGS = DeliverySettings(
    max_attempts=3, backoff=0.01, backoff_max=0.05, deadline=10, retry_later=1, lease=60
)


def run(command: dict[str, Any]) -> None:
    """One action in this (child) process; a crash point may SIGKILL it on the way."""
    crash = CrashAt(command["crash"])
    crash.configure()
    # The transport the communicator would build for itself, watched for answered posts.
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(10.0), transport=crash.transport(FanoutTransport())
    )
    offset = timedelta(seconds=command["offset"])

    def clock() -> datetime:
        return datetime.now(UTC) + offset

    with candor.Communicator.from_config(
        command["config"], clock=clock, delivery=SETTINGS, client=client
    ) as comms:
        action = command["action"]
        if action == "open":
            comms.open("Checkout failing", {"components": ["Checkout"]}, "Checkout requests fail.")
        elif action == "update":
            comms.update(command["incident_id"], message="We found the cause.", status="identified")
        elif action == "resolve":
            comms.resolve(command["incident_id"], message="Checkout works again.", cause="a bug")
        else:
            comms.deliver_pending()


def child(command: dict[str, Any]) -> None:
    try:
        run(command)
    except BaseException:
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def warm(config: str) -> None:
    """Load, once and before any fork, everything a child would load on first use."""
    registry.load("webhook")
    with candor.Communicator.from_config(config) as comms:
        comms.preview(title="Warm-up", scope={"components": ["Checkout"]}, message="None.")


def main() -> None:
    warmed = False
    for line in sys.stdin:
        command = json.loads(line)
        if not warmed:
            warm(command["config"])
            warmed = True
        pids = []
        for _ in range(command.get("parallel", 1)):
            pid = os.fork()
            if pid == 0:
                child(command)
            pids.append(pid)
        ended = []
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
                ended.append("killed")
            else:
                ended.append(f"exit {os.waitstatus_to_exitcode(status)}")
        print(json.dumps(ended), flush=True)


if __name__ == "__main__":
    main()
