"""Keeping promises and closing the books: overdue, watch, postmortem, action, close, report."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from candor.cli._options import override_options
from candor.cli._shared import (
    EXIT_DUE_SOON,
    EXIT_OVERDUE,
    State,
    echo,
    emit,
    incident_json,
    incident_named,
    one_line,
    pass_state,
    report_delivery,
    when,
)

__all__ = ["action", "close", "overdue", "postmortem", "report", "watch"]


@click.command()
@click.option("--now", help="Judge at this time (ISO 8601 with offset) instead of now.")
@pass_state
def overdue(state: State, now: str | None) -> None:
    """List broken promises (exit 3) and promises about to break (exit 5), for cron.

    A promise is about to break within the policy's warn_before (default 5
    minutes) of its time; a channel that never received the update keeping a
    promise is listed on its own line.
    """
    # Imported here so that --help never loads the model (pydantic).
    from candor.model import parse_when

    moment = parse_when(now, "--now") if now else None
    with state.communicator() as comms:
        found = comms.overdue(moment)
        judged = moment if moment is not None else comms.now()
        titles = {r.incident_id: comms.get(r.incident_id).title for r in found}
    lines = [_reminder_line(r, titles[r.incident_id], judged) for r in found]

    def text() -> None:
        if not found:
            echo("Nothing is overdue: every promise is on time.")
        for line in lines:
            echo(line["line"])

    emit(
        state,
        [
            r.model_dump(mode="json") | {k: v for k, v in line.items() if k not in ("line",)}
            for r, line in zip(found, lines, strict=True)
        ],
        text,
    )
    if any(r.state == "broken" for r in found):
        sys.exit(EXIT_OVERDUE)
    if found:
        sys.exit(EXIT_DUE_SOON)


def _reminder_line(reminder: Any, title: str, now: datetime) -> dict[str, Any]:
    """One reminder as ``overdue`` tells it: the incident and its title, what, when, how late.

    "INC-12 (API errors in eu-west): next update was due 20:10 UTC, 1 hour 44 minutes
    late"; the due time gives its date too when it is not today's. Under a minute late
    is "just now"; a promise not yet due says how long is left.
    """
    from candor.model import describe_duration

    what = "next update" if reminder.kind == "next_update" else "write-up"
    where = f" on channel {reminder.channel}" if reminder.channel else ""
    due = reminder.due_at.astimezone(UTC)
    at = due.strftime("%H:%M UTC") if due.date() == now.astimezone(UTC).date() else when(due)
    late = now - due
    if reminder.state == "broken":
        how = "just now" if late < timedelta(minutes=1) else f"{describe_duration(late)} late"
        said = f"was due {at}, {how}"
    else:
        left = -late
        how = (
            "in under a minute" if left < timedelta(minutes=1) else f"in {describe_duration(left)}"
        )
        said = f"is due soon, by {at} ({how})"
    line = (
        f"{reminder.incident_id} ({one_line(title)}): {what}{where} {said} "
        f"(promised in update {reminder.update_id})"
    )
    return {
        "line": line,
        "title": title,
        "late_seconds": max(0, int(late.total_seconds())),
        "late": how,
    }


@click.command()
@click.option("--interval", default="1m", show_default=True, help="How often to look: 30s, 1m.")
@click.option("--ticks", type=click.IntRange(min=1), help="Stop after this many looks.")
@click.option(
    "--for", "duration", default="24h", show_default=True, help="Stop after this long: 8h, 2d."
)
@pass_state
def watch(state: State, interval: str, ticks: int | None, duration: str) -> None:
    """Keep promises beside an incident: run the policy (warn or holding_update) in a loop.

    Bounded by --ticks and --for; Ctrl-C or SIGTERM stops it after the current
    look. Safe on two hosts sharing a store: one acts, the other sees it done.
    """
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }

    def report(action: Any) -> None:
        if not state.as_json:
            reminder = action.reminder
            done = "posted a holding update" if action.action == "holding_update" else "warned"
            echo(
                f"{reminder.incident_id}: {done} ({reminder.kind.value} due by "
                f"{when(reminder.due_at)}, {reminder.state.value.replace('_', ' ')})"
            )

    try:
        with state.communicator(early=True) as comms:
            actions = comms.watch(
                interval=interval, ticks=ticks, duration=duration, stop=stop, on_action=report
            )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    data = [{"action": a.action, "reminder": a.reminder.model_dump(mode="json")} for a in actions]
    emit(state, data, lambda: echo(f"Stopped watching; {len(actions)} action(s)."))


@click.command()
@click.argument("incident_id")
@click.option("--summary", required=True, help="What happened and to whom, in a few sentences.")
@click.option("--what-happened", required=True, help="The story, with times and the cause.")
@click.option("--what-we-are-doing", required=True, help="What will stop it happening again.")
@click.option("--action", "actions", multiple=True, help="An action item (repeat for several).")
@click.option("--cause", help="What caused it (default: the cause an earlier update named).")
@override_options
@pass_state
def postmortem(
    state: State,
    incident_id: str,
    summary: str,
    what_happened: str,
    what_we_are_doing: str,
    actions: tuple[str, ...],
    cause: str | None,
    allow: tuple[str, ...],
    reason: str | None,
) -> None:
    """Publish the write-up of a resolved incident on every channel, keeping its promise."""
    with state.communicator() as comms:
        incident_id = incident_named(comms, incident_id)
        incident = comms.publish_postmortem(
            incident_id,
            summary=summary,
            what_happened=what_happened,
            what_we_are_doing=what_we_are_doing,
            action_items=list(actions),
            cause=cause,
            allow=allow,
            reason=reason,
        )
    report_delivery(state, incident, comms.unconfigured)


@click.command()
@click.argument("incident_id")
@click.argument("number", type=int)
@click.argument("status", type=click.Choice(["open", "in_progress", "done", "dropped"]))
@pass_state
def action(state: State, incident_id: str, number: int, status: str) -> None:
    """Set the status of a write-up's action item; the status page shows it."""
    with state.communicator() as comms:
        incident_id = incident_named(comms, incident_id)
        item = comms.set_action_item(incident_id, number, status)
    emit(
        state,
        item.model_dump(mode="json"),
        lambda: echo(f"{incident_id}: action {item.number} is {item.status.value}"),
    )


@click.command()
@click.argument("incident_id")
@click.option("--reason", help="Why close while a promise is open (recorded with who).")
@pass_state
def close(state: State, incident_id: str, reason: str | None) -> None:
    """Close the books on a resolved incident; refused while its write-up is owed."""
    with state.communicator() as comms:
        incident = comms.close_incident(incident_named(comms, incident_id), reason=reason)
    emit(
        state,
        incident_json(incident),
        lambda: echo(f"{incident.id}: closed."),
    )


@click.command()
@click.argument("incident_id")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False),
    help="Also write an SVG chart of the updates against the promises to this file.",
)
@pass_state
def report(state: State, incident_id: str, chart: str | None) -> None:
    """The comms scorecard of an incident: speed, silences, promises, endings, overrides."""
    # Imported here so that --help never loads the scorecard.
    from candor.scorecard import timeline_svg

    with state.communicator() as comms:
        card = comms.report(incident_named(comms, incident_id))
    if chart:
        Path(chart).write_text(timeline_svg(card), encoding="utf-8")
    emit(state, card.model_dump(mode="json"), lambda: echo(card.text()))
