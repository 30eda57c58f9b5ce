"""Incidents: open, update, correct, resolve, reopen, list, show and preview.

Wherever a command takes an INCIDENT_ID it also takes the incident's title, or the
start of one title (any case); ``--latest`` (update, resolve, show) is the one open
incident. Anything that names no single incident is refused, listing candidates.
"""

from __future__ import annotations

from typing import Any

import click

from candor.cli._options import channel_option, override_options, scope_from, scope_options
from candor.cli._shared import (
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
from candor.errors import InputError

__all__ = ["correct", "list_", "open_", "preview", "reopen", "resolve", "show", "update"]


@click.command(name="open")
@click.argument("title")
@scope_options(required=True)
@click.option("-m", "--message", required=True, help="What customers see, in plain words.")
@click.option("--status", default="investigating", show_default=True)
@click.option("--impact", help="none, minor, major or critical (default: from the scope).")
@click.option("--next-update-in", help="When the next update comes: 30m, 1h (default: policy).")
@click.option(
    "--started-at",
    help="When the impact started, if before now (noticed late): ISO 8601 with a UTC offset.",
)
@click.option("--workaround", help="What affected customers can do meanwhile.")
@override_options
@channel_option
@pass_state
def open_(
    state: State,
    title: str,
    components: tuple[str, ...],
    regions: tuple[str, ...],
    fraction: str | None,
    count: str | None,
    customers: str | None,
    degraded: bool | None,
    message: str,
    status: str,
    impact: str | None,
    next_update_in: str | None,
    started_at: str | None,
    workaround: str | None,
    allow: tuple[str, ...],
    reason: str | None,
    channels: tuple[str, ...],
) -> None:
    """Open an incident and tell every channel."""
    scope = scope_from(None, components, regions, fraction, count, customers, degraded)
    with state.communicator(creates=True) as comms:
        incident = comms.open(
            title,
            scope,
            message,
            status=status,
            impact=impact,
            next_update_in=next_update_in,
            started_at=started_at,
            workaround=workaround,
            allow=allow,
            reason=reason,
            channels=list(channels) or None,
        )
    report_delivery(state, incident, comms.unconfigured)


@click.command()
@click.argument("incident_id", required=False)
@click.option(
    "--latest",
    is_flag=True,
    help="The one open incident (refused, listing them, when several are open).",
)
@scope_options(required=False)
@click.option("-m", "--message", required=True, help="What is new, in plain words.")
@click.option("--status", help="investigating, identified or monitoring (default: unchanged).")
@click.option("--impact", help="none, minor, major or critical.")
@click.option("--next-update-in", help="When the next update comes: 30m, 1h (default: policy).")
@click.option("--cause", help="The cause, once it is known.")
@click.option("--workaround", help="What affected customers can do meanwhile.")
@override_options
@channel_option
@pass_state
def update(
    state: State,
    incident_id: str | None,
    latest: bool,
    components: tuple[str, ...],
    regions: tuple[str, ...],
    fraction: str | None,
    count: str | None,
    customers: str | None,
    degraded: bool | None,
    message: str,
    status: str | None,
    impact: str | None,
    next_update_in: str | None,
    cause: str | None,
    workaround: str | None,
    allow: tuple[str, ...],
    reason: str | None,
    channels: tuple[str, ...],
) -> None:
    """Post an update on an open incident.

    INCIDENT_ID is its id, its title or the start of one title; --latest is the
    one open incident.
    """
    options = (components, regions, fraction, count, customers, degraded)
    with state.communicator() as comms:
        incident_id = incident_named(comms, incident_id, latest=latest)
        # The current scope is read only to change it: an update without scope options
        # keeps it, and is one read of the store fewer.
        changed = any(option not in ((), None) for option in options)
        scope = scope_from(comms.get(incident_id), *options) if changed else None
        incident = comms.update(
            incident_id,
            message=message,
            status=status,
            scope=scope,
            impact=impact,
            next_update_in=next_update_in,
            cause=cause,
            workaround=workaround,
            allow=allow,
            reason=reason,
            channels=list(channels) or None,
        )
    report_delivery(state, incident, comms.unconfigured)


@click.command()
@click.argument("incident_id")
@click.option("--update", "number", type=int, help="The number of the update to correct (#N).")
@click.option("--latest", is_flag=True, help="Correct the incident's newest update.")
@click.option("-m", "--message", required=True, help="What the update should have said.")
@click.option(
    "--reason", required=True, help="What was wrong; recorded, and customers read it too."
)
@click.option(
    "--allow",
    "allow",
    multiple=True,
    metavar="CODE",
    help="Let a check error through (repeatable); --reason is recorded as why.",
)
@pass_state
def correct(
    state: State,
    incident_id: str,
    number: int | None,
    latest: bool,
    message: str,
    reason: str,
    allow: tuple[str, ...],
) -> None:
    """Correct the text of a published update, on every channel that was given it.

    Channels that can edit change the post in place; the others get a "Correction:"
    follow-up. The update's original text stays on the record, with the correction,
    its reason, who made it and when.
    """
    if latest == (number is not None):
        raise InputError("--update", number, "give --update N or --latest (one of them)")
    with state.communicator() as comms:
        current = comms.get(incident_named(comms, incident_id))
        if number is None:
            number = current.latest.seq
        incident = comms.correct(
            current.id, update=number, message=message, reason=reason, allow=allow
        )
    report_delivery(state, incident, comms.unconfigured)


@click.command()
@click.argument("incident_id", required=False)
@click.option(
    "--latest",
    is_flag=True,
    help="The one open incident (refused, listing them, when several are open).",
)
@click.option("-m", "--message", required=True, help="What happened, in plain words.")
@click.option("--cause", help="What caused it (default: the cause an earlier update named).")
@click.option("--changed", help="What was changed to fix it.")
@click.option("--prevention", help="What will stop it happening again.")
@click.option("--postmortem-by", help="When the write-up will be published (a date or datetime).")
@click.option(
    "--ended-at",
    help="When the impact ended, if before now: ISO 8601 with a UTC offset (default: now).",
)
@click.option(
    "--refuse-if-untold",
    is_flag=True,
    help="Refuse if no channel ever received an update of it (default: warn).",
)
@override_options
@channel_option
@pass_state
def resolve(
    state: State,
    incident_id: str | None,
    latest: bool,
    message: str,
    cause: str | None,
    changed: str | None,
    prevention: str | None,
    postmortem_by: str | None,
    ended_at: str | None,
    refuse_if_untold: bool,
    allow: tuple[str, ...],
    reason: str | None,
    channels: tuple[str, ...],
) -> None:
    """Resolve an incident on every channel that carried any of its updates, and any new one.

    ``--ended-at`` says when the impact ended when that was before now; the published
    window (page, messages, feed, summary, scorecard) ends there.
    """
    with state.communicator() as comms:
        incident_id = incident_named(comms, incident_id, latest=latest)
        incident = comms.resolve(
            incident_id,
            message=message,
            cause=cause,
            changed=changed,
            prevention=prevention,
            postmortem_by=postmortem_by,
            ended_at=ended_at,
            refuse_if_untold=refuse_if_untold,
            allow=allow,
            reason=reason,
            channels=list(channels) or None,
        )
    report_delivery(state, incident, comms.unconfigured)


@click.command()
@click.argument("incident_id")
@click.option("-m", "--message", required=True, help="What is happening again.")
@click.option("--status", default="investigating", show_default=True)
@click.option("--next-update-in", help="When the next update comes: 30m, 1h (default: policy).")
@click.option("--workaround", help="What affected customers can do meanwhile.")
@override_options
@channel_option
@pass_state
def reopen(
    state: State,
    incident_id: str,
    message: str,
    status: str,
    next_update_in: str | None,
    workaround: str | None,
    allow: tuple[str, ...],
    reason: str | None,
    channels: tuple[str, ...],
) -> None:
    """Reopen a resolved incident."""
    with state.communicator() as comms:
        incident_id = incident_named(comms, incident_id)
        incident = comms.reopen(
            incident_id,
            message=message,
            status=status,
            next_update_in=next_update_in,
            workaround=workaround,
            allow=allow,
            reason=reason,
            channels=list(channels) or None,
        )
    report_delivery(state, incident, comms.unconfigured)


@click.command(name="list")
@click.option("--open", "open_only", is_flag=True, help="Only incidents not yet resolved.")
@pass_state
def list_(state: State, open_only: bool) -> None:
    """List incidents, newest first."""
    with state.communicator() as comms:
        incidents = comms.list(open_only=open_only)

    def text() -> None:
        if not incidents:
            echo("No incidents." if not open_only else "No open incidents.")
        for incident in incidents:
            promised = (
                f"next update by {when(incident.next_update_by)}" if incident.next_update_by else ""
            )
            echo(
                f"{incident.id}  {incident.status.value:<13} {incident.impact.value:<8} "
                f"{one_line(incident.title)}  {promised}".rstrip()
            )

    emit(state, [incident_json(i) for i in incidents], text)


@click.command()
@click.argument("incident_id", required=False)
@click.option(
    "--latest",
    is_flag=True,
    help="The one open incident (refused, listing them, when several are open).",
)
@pass_state
def show(state: State, incident_id: str | None, latest: bool) -> None:
    """Show an incident's whole timeline and where each update went."""
    with state.communicator() as comms:
        incident = comms.get(incident_named(comms, incident_id, latest=latest))

    def text() -> None:
        scope = incident.scope
        echo(f"{incident.id}: {one_line(incident.title)}")
        echo(f"  status {incident.status.value}, impact {incident.impact.value}")
        echo(f"  components: {one_line(', '.join(scope.components))}")
        if scope.regions:
            echo(f"  regions: {one_line(', '.join(scope.regions))}")
        if scope.affected_fraction is not None:
            echo(f"  affected fraction: {scope.affected_fraction:g}")
        if scope.affected_count is not None:
            echo(f"  affected count: {scope.affected_count}")
        echo(f"  started {when(incident.started_at)}")
        if incident.next_update_by:
            echo(f"  next update promised by {when(incident.next_update_by)}")
        if incident.resolved_at:
            echo(f"  resolved {when(incident.resolved_at)}")
        if incident.ended_at and incident.ended_at != incident.resolved_at:
            echo(f"  impact ended {when(incident.ended_at)}")
        for entry in incident.updates:
            back = " (back-step)" if entry.is_back_step else ""
            fixed = entry.correction
            if fixed is not None:
                who = f" by {one_line(fixed.by)}" if fixed.by else ""
                echo(
                    f"\n#{entry.seq} {when(entry.created_at)} correction of #{fixed.seq}{who}: "
                    f"{one_line(fixed.reason)}"
                )
            else:
                echo(f"\n#{entry.seq} {when(entry.created_at)} {entry.status.value}{back}")
            echo("  " + entry.message.replace("\n", "\n  "))
            for later in incident.corrections(entry.id):
                echo(f"  (corrected in #{later.seq}, {when(later.created_at)})")
            for delivery in incident.deliveries:
                if delivery.update_id == entry.id:
                    error = delivery.last_error
                    extra = f" ({one_line(error)})" if error else ""
                    echo(f"  -> {delivery.channel}: {delivery.state.value}{extra}")

    emit(state, incident_json(incident), text)


@click.command()
@click.argument("incident_id", required=False)
@click.option("--title", help="For a new incident: its title.")
@scope_options(required=False)
@click.option("-m", "--message", required=True)
@click.option("--status")
@click.option("--impact")
@click.option("--next-update-in")
@click.option("--cause")
@channel_option
@pass_state
def preview(
    state: State,
    incident_id: str | None,
    title: str | None,
    components: tuple[str, ...],
    regions: tuple[str, ...],
    fraction: str | None,
    count: str | None,
    customers: str | None,
    degraded: bool | None,
    message: str,
    status: str | None,
    impact: str | None,
    next_update_in: str | None,
    cause: str | None,
    channels: tuple[str, ...],
) -> None:
    """Show what every channel would get, without storing or sending anything.

    With no INCIDENT_ID it previews opening a new incident (--title and -c are
    then required); with one it previews an update (or, with --status resolved,
    the resolution).
    """
    arguments: dict[str, Any] = {"message": message, "channels": list(channels) or None}
    # A preview of a new incident stores nothing: with no store yet it needs none.
    with state.communicator(scratch=incident_id is None) as comms:
        if incident_id is None:
            if not title:
                raise InputError("--title", title, "a new incident needs a title")
            if not components:
                raise InputError("--component", None, "a new incident needs a component")
            arguments["title"] = title
            arguments["scope"] = scope_from(
                None, components, regions, fraction, count, customers, degraded
            )
            for key, value in {
                "status": status,
                "impact": impact,
                "next_update_in": next_update_in,
            }.items():
                if value is not None:
                    arguments[key] = value
        else:
            current = comms.get(incident_named(comms, incident_id))
            incident_id = current.id
            scope = scope_from(current, components, regions, fraction, count, customers, degraded)
            extra = {
                "status": status,
                "cause": cause,
                "scope": scope,
                "impact": impact,
                "next_update_in": next_update_in,
            }
            arguments |= {k: v for k, v in extra.items() if v is not None}
        messages = comms.preview(incident_id, **arguments)
        fits = comms.capabilities
        lengths = [_length(message_, fits[message_.channel]) for message_ in messages]

    def text() -> None:
        for message_, (used, limit, unit) in zip(messages, lengths, strict=True):
            fits = f"{used}/{limit} {unit}" if limit is not None else f"{used} {unit}"
            echo(f"── {message_.channel} ({message_.form.value}, {fits}) ──")
            echo(message_.text)
            if not message_.findings:
                echo("  checks: no findings")
            for finding in message_.findings:
                line, column = finding.position(message_.text)
                why = f"\n      why: {finding.why}" if finding.why else ""
                echo(
                    f"  {line}:{column} {finding.severity.value} {finding.code}: "
                    f"{finding.message}{why}\n      suggestion: {finding.suggestion}"
                )
            echo()

    data = [
        m.model_dump(mode="json") | {"length": used, "limit": limit, "unit": unit}
        for m, (used, limit, unit) in zip(messages, lengths, strict=True)
    ]
    emit(state, data, text)


def _length(message: Any, capabilities: Any) -> tuple[int, int | None, str]:
    # Imported here so that --help never loads the length measure (regex).
    from candor.length import measure

    unit = capabilities.length_unit.value
    return measure(message.text, unit), capabilities.max_length, unit
