"""Delivering and importing: deliver, import."""

from __future__ import annotations

from typing import Any

import click

from candor.cli._shared import State, echo, emit, exit_if_owed, incident_json, pass_state, table
from candor.errors import ConfigError, InputError

__all__ = ["deliver", "import_"]


@click.command()
@click.option(
    "--force", is_flag=True, help="Also try now what is waiting for its next attempt time."
)
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Also send again what failed for good (after you fixed the channel).",
)
@click.option(
    "--channel",
    "channels",
    multiple=True,
    metavar="NAME",
    help="With --retry-failed: only this channel (repeatable).",
)
@pass_state
def deliver(state: State, force: bool, retry_failed: bool, channels: tuple[str, ...]) -> None:
    """Send whatever is still owed to any channel, in order per channel.

    A message waiting to retry goes once its time has come (the service's
    Retry-After, or the backoff), or now with --force.

    A message that failed for good (a refused credential, say) stays failed
    until --retry-failed: then each channel catches up in order from the first
    update it missed. A failed message that a later update has since reached
    the channel after stays failed, as it would arrive out of date.
    """
    if channels and not retry_failed:
        raise InputError("--channel", channels[0], "only limits --retry-failed; add --retry-failed")
    with state.communicator() as comms:
        outcomes = comms.deliver_pending(
            force=force, retry_failed=retry_failed, channels=list(channels) or None
        )
    rows: list[dict[str, Any]] = [
        {
            "incident_id": o.item.incident_id,
            "seq": o.item.seq,
            "channel": o.channel,
            "state": o.state.value,
            "sent": o.sent,
            "attempts": o.attempts,
            "next_attempt_at": o.next_attempt_at,
            "error": o.error,
            "elsewhere": o.elsewhere,
            "unconfigured": o.unconfigured,
        }
        for o in outcomes
    ]

    def text() -> None:
        if not outcomes:
            echo("Nothing is owed to any channel.")
            return
        for incident_id in dict.fromkeys(row["incident_id"] for row in rows):
            table([r for r in rows if r["incident_id"] == incident_id], incident_id)

    emit(state, rows, text)
    exit_if_owed(rows)


@click.command(name="import")
@click.argument("service", type=click.Choice(["statuspage"]))
@click.option("--channel", "channel_name", help="Import from this channel only.")
@pass_state
def import_(state: State, service: str, channel_name: str | None) -> None:
    """Read a status page's unresolved incidents into the store, so candor continues them.

    Every channel with the SERVICE adapter (or only --channel) is read; each
    open incident there becomes a candor incident whose later updates go to
    that same remote incident. Importing again imports nothing new.
    """
    rows = []
    with state.communicator(creates=True) as comms:
        names = [
            name
            for name, channel in comms.channels.items()
            if channel.adapter == service and channel_name in (None, name)
        ]
        if not names:
            which = f"channel {channel_name!r}" if channel_name else "no channel"
            raise ConfigError(f"{which} uses the {service!r} adapter", key="channels")
        for name in names:
            for incident in comms.import_incidents(name):
                root = next(d.thread_root for d in incident.deliveries if d.channel == name)
                rows.append({"channel": name, "remote_id": root, **incident_json(incident)})

    def text() -> None:
        if not rows:
            echo(f"Nothing new to import from {', '.join(names)}.")
        for row in rows:
            echo(
                f"Imported {row['id']} from {row['channel']} ({service} incident "
                f"{row['remote_id']}): {row['status']}  {row['title']}"
            )

    emit(state, rows, text)
