"""A user's test of their own incident runbook, with candor's testing toolkit.

``failover_runbook`` stands for code in your own codebase: the script on-call
runs when the primary database fails. These tests run it for real against
candor — rendering, the store, promises — but every channel posts to memory
(``candor_outbox``) and time moves only when the test says (``candor_clock``).
Nothing leaves the machine. pytest finds the fixtures by itself once candor is
installed; ``@pytest.mark.candor_channels`` gives the communicators these
channels, with the limits of the services they are named after.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import candor
from candor.testing import Clock, Outbox, assert_consistent, assert_posted, capture

DATABASE = candor.Scope(
    components=["Database"],
    regions=["us-east"],
    affected_fraction=0.3,
    affected_count=412,
    customers="workspaces",
)


def failover_runbook(comms: candor.Communicator, *, promoted: bool) -> candor.Incident:
    """What on-call runs: say it is down, say why, and say when it is back."""
    incident = comms.open(
        "Database unavailable in us-east",
        DATABASE,
        "Workspaces in us-east cannot load or save documents.",
    )
    comms.update(
        incident.id,
        status="identified",
        cause="the primary database server failed",
        message="We are promoting the standby database.",
        next_update_in="20m",
    )
    if not promoted:
        return comms.get(incident.id)  # the promotion is still running
    return comms.resolve(
        incident.id,
        message="The standby is serving every workspace in us-east; nothing saved was lost.",
        postmortem_by="2026-11-25",
    )


@pytest.mark.candor_channels("status", "mastodon", "x")
def test_every_channel_hears_the_whole_story(candor_outbox: Outbox, tmp_path: Path) -> None:
    with candor.Communicator(store=tmp_path / "candor.db") as comms:
        incident = failover_runbook(comms, promoted=True)

    assert incident.status is candor.Status.RESOLVED
    assert_posted(
        candor_outbox,
        "mastodon",
        [
            "Database is down in us-east for 30% of our workspaces",
            "The primary database server failed",  # capitalised after "Cause:"
            "nothing saved was lost",
        ],
    )
    for post in candor_outbox.messages("x"):
        assert post.length <= 280  # X's weighted count, as X counts it
    assert_consistent(candor_outbox)  # same status and next-update time everywhere
    later = candor_outbox.messages("mastodon")[1:]
    assert all(post.thread == "mastodon/1" for post in later)  # replies to the first post


@pytest.mark.candor_channels("status", "mastodon")
def test_a_stalled_failover_breaks_the_promise_it_made(
    candor_outbox: Outbox, candor_clock: Clock, tmp_path: Path
) -> None:
    with candor.Communicator(store=tmp_path / "candor.db") as comms:
        incident = failover_runbook(comms, promoted=False)
        assert "Next update by 14:20 UTC" in candor_outbox.texts("mastodon")[-1]

        candor_clock.advance(minutes=14)
        assert comms.overdue() == []
        candor_clock.advance(minutes=5)  # within warn_before (5 minutes) of 14:20
        (soon,) = comms.overdue()
        assert soon.state is candor.ReminderState.DUE_SOON
        candor_clock.advance(minutes=2)
        (broken,) = comms.overdue()

    assert broken.incident_id == incident.id
    assert broken.kind is candor.PromiseKind.NEXT_UPDATE
    assert broken.state is candor.ReminderState.BROKEN


def test_without_pytest_fixtures_capture_does_the_same(tmp_path: Path) -> None:
    """capture() works anywhere, here with the channels the runbook already configures."""
    channels = [
        candor.Channel(name="status", adapter="static_site", settings={"path": "site"}),
        candor.Channel(name="ops", adapter="console", audience=candor.Audience.INTERNAL),
    ]
    with (
        capture(clock=Clock()) as outbox,
        candor.Communicator(channels, store=tmp_path / "candor.db", base_dir=tmp_path) as comms,
    ):
        failover_runbook(comms, promoted=True)

    assert outbox.channels == ["status", "ops"]
    assert len(outbox.messages("ops")) == 3
    assert not (tmp_path / "site").exists()  # the status page was never written
