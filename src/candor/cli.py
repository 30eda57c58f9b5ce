"""The ``candor`` command: incidents from a shell, a runbook or cron.

Exit status: 0 success; 1 a user error (one line on standard error, never a
traceback); 2 a usage error; 3 ``overdue`` found broken promises; 4 the update
was recorded but at least one channel has not taken it (``candor deliver``
tries again what is still owed); 5 ``overdue`` found promises about to break
(and none broken).

Commands that deliver show each channel's outcome on standard error as it
settles, and end with a table of the channels sent, retrying and failed (rich
is imported here only, never by ``import candor``).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from candor._version import __version__
from candor.errors import CandorError

__all__ = ["cli", "main"]

EXIT_ERROR = 1
EXIT_OVERDUE = 3
EXIT_UNDELIVERED = 4
EXIT_DUE_SOON = 5

F = TypeVar("F", bound=Callable[..., Any])


class State:
    """What the global options chose, shared by every command."""

    def __init__(self, config: str | None, as_json: bool) -> None:
        self.config = config
        self.as_json = as_json

    @contextlib.contextmanager
    def communicator(self) -> Iterator[Any]:
        from candor.communicator import Communicator

        # In --json mode standard output carries only the JSON document, so
        # anything an adapter prints (the console channel) goes to stderr.
        quiet = contextlib.redirect_stdout(sys.stderr) if self.as_json else contextlib.nullcontext()
        progress = None if self.as_json else _progress
        with quiet:
            comms = Communicator.from_config(self.config, on_outcome=progress)
            try:
                yield comms
            finally:
                comms.close()


pass_state = click.make_pass_decorator(State)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="candor")
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    envvar="CANDOR_CONFIG",
    help="The candor.toml to use (default: ./candor.toml, else the embedded default).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@click.pass_context
def cli(ctx: click.Context, config: str | None, as_json: bool, verbose: int) -> None:
    """Tell customers the truth during an incident, on every channel, and never go quiet."""
    _configure_logging(verbose)
    ctx.obj = State(config, as_json)


def _configure_logging(verbose: int) -> None:
    import logging

    import structlog

    from candor.log import redact, redact_registered

    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    structlog.configure(
        processors=[
            redact,
            redact_registered,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


def scope_options(*, required: bool) -> Callable[[F], F]:
    """The options that describe who and what is affected."""

    def decorate(command: F) -> F:
        options = [
            click.option(
                "-c",
                "--component",
                "components",
                multiple=True,
                required=required,
                help="An affected component (repeat for several).",
            ),
            click.option("-r", "--region", "regions", multiple=True, help="An affected region."),
            click.option(
                "--fraction",
                type=str,
                help="Share of customers affected, in (0, 1]: 0.012 for 1.2%.",
            ),
            click.option("--count", type=str, help="Number of customers affected."),
            click.option("--customers", help="What the count counts (default: customers)."),
            click.option(
                "--degraded",
                is_flag=True,
                default=None,
                help="It works, badly (slow, some requests fail); default: it is down.",
            ),
        ]
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def override_options(command: F) -> F:
    """--allow and --reason: let named check errors through, on the record."""
    command = click.option(
        "--reason", help="Why the allowed check errors are right here (recorded on the timeline)."
    )(command)
    return click.option(
        "--allow",
        multiple=True,
        metavar="CODE",
        help="Let this check's errors through (repeat for several; needs --reason).",
    )(command)


def _number(option: str, text: str | None, kind: type[int] | type[float]) -> Any:
    from candor.errors import InputError

    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        wanted = "a whole number" if kind is int else "a number such as 0.012 (for 1.2%)"
        raise InputError(option, text, f"must be {wanted}") from None


def _scope(
    current: Any,
    components: tuple[str, ...],
    regions: tuple[str, ...],
    fraction: str | None,
    count: str | None,
    customers: str | None,
    degraded: bool | None,
) -> Any:
    """A Scope from the options, over ``current`` (None to build a new one)."""
    from candor.model import Scope

    given: dict[str, Any] = {}
    if components:
        given["components"] = list(components)
    if regions:
        given["regions"] = list(regions)
    if fraction is not None:
        given["affected_fraction"] = _number("--fraction", fraction, float)
    if count is not None:
        given["affected_count"] = _number("--count", count, int)
    if customers is not None:
        given["customers"] = customers
    if degraded is not None:
        given["effect"] = "degraded" if degraded else "outage"
    if current is None:
        return Scope(**given)
    if not given:
        return None
    return Scope(**{**current.scope.model_dump(), **given})


def _emit(state: State, data: Any, text: Callable[[], None]) -> None:
    if state.as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        text()


def _incident_json(incident: Any) -> Any:
    return incident.model_dump(mode="json")


_MARK = {"sent": "✓", "failed": "✗"}


def _progress(outcome: Any) -> None:
    """One line on standard error as each channel's delivery settles."""
    click.echo(f"  {_MARK.get(outcome.state.value, '…')} {_outcome_line(outcome)}", err=True)


def _outcome_line(outcome: Any) -> str:
    item = outcome.item
    text = f"{outcome.channel} (update {item.seq}): {_label(outcome.state.value)}"
    if outcome.sent:
        tries = f"{outcome.attempts} attempt{'s' if outcome.attempts != 1 else ''}"
        return f"{text} ({tries}, {outcome.latency * 1000:.0f} ms)"
    if outcome.next_attempt_at is not None:
        text += f" from {_when(outcome.next_attempt_at)}"
    return f"{text}: {outcome.error}" if outcome.error else text


def _label(state: str) -> str:
    """How a delivery state reads in the summary: sent, retrying or failed."""
    return {"sent": "sent", "failed": "failed", "in_flight": "in flight"}.get(state, "retrying")


def _summary(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The channels sent, retrying and failed, for --json."""
    summary: dict[str, list[str]] = {"sent": [], "retrying": [], "failed": []}
    for row in rows:
        label = _label(row["state"])
        summary["retrying" if label == "in flight" else label].append(row["channel"])
    return summary


def _table(rows: list[dict[str, Any]], title: str) -> None:
    """The closing table: one row per channel and update, with its state."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in ("channel", "update", "state", "attempts", "detail"):
        table.add_column(column, overflow="fold")
    for row in rows:
        detail = row.get("error") or ""
        if row.get("next_attempt_at"):
            detail = f"next attempt {_when(row['next_attempt_at'])}; {detail}".rstrip("; ")
        elif row.get("url"):
            detail = row["url"]
        table.add_row(
            row["channel"],
            str(row["seq"]),
            _label(row["state"]),
            str(row["attempts"]),
            detail,
        )
    Console(file=sys.stdout, soft_wrap=False, width=max(100, _terminal_width())).print(table)


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size((100, 24)).columns


def _exit_if_owed(rows: list[dict[str, Any]]) -> None:
    """Exit 4, saying which channels and why, when any has not taken its update."""
    owed = [r["channel"] for r in rows if r["state"] not in {"sent", "failed"}]
    refused = [r["channel"] for r in rows if r["state"] == "failed"]
    if not owed and not refused:
        return
    parts = []
    if owed:
        parts.append(f"not yet delivered to: {', '.join(owed)}; run `candor deliver` to try again")
    if refused:
        parts.append(f"refused for good by: {', '.join(refused)} (see the table for why)")
    click.echo(f"candor: recorded, but {'; '.join(parts)}", err=True)
    sys.exit(EXIT_UNDELIVERED)


def _report_delivery(state: State, incident: Any) -> None:
    """Print the incident's new update and where it went; exit 4 if a channel has not taken it."""
    update = incident.updates[-1]
    rows = [
        {
            "channel": d.channel,
            "seq": d.seq,
            "state": d.state.value,
            "attempts": d.attempts,
            "next_attempt_at": d.next_attempt_at,
            "error": d.last_error if d.state.value != "sent" else None,
            "url": d.remote_url,
        }
        for d in incident.deliveries
        if d.update_id == update.id
    ]

    def text() -> None:
        click.echo(f"{incident.id}: {incident.status.value} · {incident.title}")
        if incident.next_update_by is not None:
            click.echo(f"Next update promised by {_when(incident.next_update_by)}.")
        _table(rows, f"Update {update.seq}")

    _emit(state, {**_incident_json(incident), "delivery": _summary(rows)}, text)
    _exit_if_owed(rows)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    help="Where to put the demo (default: a new temporary folder).",
)
@pass_state
def demo(state: State, directory: str | None) -> None:
    """Run a realistic incident from open to resolved on the embedded default."""
    from candor.demo import run_demo

    result = run_demo(Path(directory) if directory else None, quiet=state.as_json)
    _emit(
        state,
        {k: str(v) for k, v in result.items()},
        lambda: click.echo(
            "\nThe demo incident is resolved.\n"
            f"  Status page: {result['index']}\n"
            f"  Incident:    {result['incident']}\n"
            f"  Atom feed:   {result['feed']}\n"
            f"  Summary API: {result['summary']}\n"
            f"  Store:       {result['store']}\n"
            "Open the status page in a browser to see the whole timeline."
        ),
    )


@cli.command()
@click.option("--path", default="candor.toml", show_default=True, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@pass_state
def init(state: State, path: str, force: bool) -> None:
    """Write a commented candor.toml to start from."""
    from candor.config import starter_config
    from candor.errors import ConfigError

    target = Path(path)
    if target.exists() and not force:
        raise ConfigError("already exists; pass --force to overwrite it", path=str(target))
    target.write_text(starter_config(), encoding="utf-8")
    _emit(state, {"path": str(target)}, lambda: click.echo(f"Wrote {target}"))


@cli.command(name="open")
@click.argument("title")
@scope_options(required=True)
@click.option("-m", "--message", required=True, help="What customers see, in plain words.")
@click.option("--status", default="investigating", show_default=True)
@click.option("--impact", help="none, minor, major or critical (default: from the scope).")
@click.option("--next-update-in", help="When the next update comes: 30m, 1h (default: policy).")
@click.option("--started-at", help="When it started, ISO 8601 with a UTC offset.")
@click.option("--workaround", help="What affected customers can do meanwhile.")
@override_options
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
) -> None:
    """Open an incident and tell every channel."""
    scope = _scope(None, components, regions, fraction, count, customers, degraded)
    with state.communicator() as comms:
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
        )
    _report_delivery(state, incident)


@cli.command()
@click.argument("incident_id")
@scope_options(required=False)
@click.option("-m", "--message", required=True, help="What is new, in plain words.")
@click.option("--status", help="investigating, identified or monitoring (default: unchanged).")
@click.option("--impact", help="none, minor, major or critical.")
@click.option("--next-update-in", help="When the next update comes: 30m, 1h (default: policy).")
@click.option("--cause", help="The cause, once it is known.")
@click.option("--workaround", help="What affected customers can do meanwhile.")
@override_options
@pass_state
def update(
    state: State,
    incident_id: str,
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
) -> None:
    """Post an update on an open incident."""
    with state.communicator() as comms:
        current = comms.get(incident_id)
        scope = _scope(current, components, regions, fraction, count, customers, degraded)
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
        )
    _report_delivery(state, incident)


@cli.command()
@click.argument("incident_id")
@click.option("-m", "--message", required=True, help="What happened, in plain words.")
@click.option("--cause", help="What caused it (default: the cause an earlier update named).")
@click.option("--changed", help="What was changed to fix it.")
@click.option("--prevention", help="What will stop it happening again.")
@click.option("--postmortem-by", help="When the write-up will be published (a date or datetime).")
@click.option(
    "--refuse-if-untold",
    is_flag=True,
    help="Refuse if no channel ever received an update of it (default: warn).",
)
@override_options
@pass_state
def resolve(
    state: State,
    incident_id: str,
    message: str,
    cause: str | None,
    changed: str | None,
    prevention: str | None,
    postmortem_by: str | None,
    refuse_if_untold: bool,
    allow: tuple[str, ...],
    reason: str | None,
) -> None:
    """Resolve an incident on every channel that carried any of its updates, and any new one."""
    with state.communicator() as comms:
        incident = comms.resolve(
            incident_id,
            message=message,
            cause=cause,
            changed=changed,
            prevention=prevention,
            postmortem_by=postmortem_by,
            refuse_if_untold=refuse_if_untold,
            allow=allow,
            reason=reason,
        )
    _report_delivery(state, incident)


@cli.command()
@click.argument("incident_id")
@click.option("-m", "--message", required=True, help="What is happening again.")
@click.option("--status", default="investigating", show_default=True)
@click.option("--next-update-in", help="When the next update comes: 30m, 1h (default: policy).")
@click.option("--workaround", help="What affected customers can do meanwhile.")
@override_options
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
) -> None:
    """Reopen a resolved incident."""
    with state.communicator() as comms:
        incident = comms.reopen(
            incident_id,
            message=message,
            status=status,
            next_update_in=next_update_in,
            workaround=workaround,
            allow=allow,
            reason=reason,
        )
    _report_delivery(state, incident)


@cli.command(name="list")
@click.option("--open", "open_only", is_flag=True, help="Only incidents not yet resolved.")
@pass_state
def list_(state: State, open_only: bool) -> None:
    """List incidents, newest first."""
    with state.communicator() as comms:
        incidents = comms.list(open_only=open_only)

    def text() -> None:
        if not incidents:
            click.echo("No incidents." if not open_only else "No open incidents.")
        for incident in incidents:
            promised = (
                f"next update by {_when(incident.next_update_by)}"
                if incident.next_update_by
                else ""
            )
            click.echo(
                f"{incident.id}  {incident.status.value:<13} {incident.impact.value:<8} "
                f"{incident.title}  {promised}".rstrip()
            )

    _emit(state, [_incident_json(i) for i in incidents], text)


@cli.command()
@click.argument("incident_id")
@pass_state
def show(state: State, incident_id: str) -> None:
    """Show an incident's whole timeline and where each update went."""
    with state.communicator() as comms:
        incident = comms.get(incident_id)

    def text() -> None:
        scope = incident.scope
        click.echo(f"{incident.id}: {incident.title}")
        click.echo(f"  status {incident.status.value}, impact {incident.impact.value}")
        click.echo(f"  components: {', '.join(scope.components)}")
        if scope.regions:
            click.echo(f"  regions: {', '.join(scope.regions)}")
        if scope.affected_fraction is not None:
            click.echo(f"  affected fraction: {scope.affected_fraction:g}")
        if scope.affected_count is not None:
            click.echo(f"  affected count: {scope.affected_count}")
        click.echo(f"  started {_when(incident.started_at)}")
        if incident.next_update_by:
            click.echo(f"  next update promised by {_when(incident.next_update_by)}")
        if incident.resolved_at:
            click.echo(f"  resolved {_when(incident.resolved_at)}")
        for entry in incident.updates:
            back = " (back-step)" if entry.is_back_step else ""
            click.echo(f"\n#{entry.seq} {_when(entry.created_at)} {entry.status.value}{back}")
            click.echo(f"  {entry.message}")
            for delivery in incident.deliveries:
                if delivery.update_id == entry.id:
                    extra = f" ({delivery.last_error})" if delivery.last_error else ""
                    click.echo(f"  -> {delivery.channel}: {delivery.state.value}{extra}")

    _emit(state, _incident_json(incident), text)


@cli.command()
@click.argument("incident_id", required=False)
@click.option("--title", help="For a new incident: its title.")
@scope_options(required=False)
@click.option("-m", "--message", required=True)
@click.option("--status")
@click.option("--impact")
@click.option("--next-update-in")
@click.option("--cause")
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
) -> None:
    """Show what every channel would get, without storing or sending anything.

    With no INCIDENT_ID it previews opening a new incident (--title and -c are
    then required); with one it previews an update (or, with --status resolved,
    the resolution).
    """
    from candor.errors import InputError

    arguments: dict[str, Any] = {"message": message}
    with state.communicator() as comms:
        if incident_id is None:
            if not title:
                raise InputError("--title", title, "a new incident needs a title")
            if not components:
                raise InputError("--component", None, "a new incident needs a component")
            arguments["title"] = title
            arguments["scope"] = _scope(
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
            current = comms.get(incident_id)
            scope = _scope(current, components, regions, fraction, count, customers, degraded)
            extra = {
                "status": status,
                "cause": cause,
                "scope": scope,
                "impact": impact,
                "next_update_in": next_update_in,
            }
            arguments |= {k: v for k, v in extra.items() if v is not None}
        messages = comms.preview(incident_id, **arguments)
        lengths = [_length(message_, comms.adapters[message_.channel]) for message_ in messages]

    def text() -> None:
        for message_, (used, limit, unit) in zip(messages, lengths, strict=True):
            fits = f"{used}/{limit} {unit}" if limit is not None else f"{used} {unit}"
            click.echo(f"── {message_.channel} ({message_.form.value}, {fits}) ──")
            click.echo(message_.text)
            if not message_.findings:
                click.echo("  checks: no findings")
            for finding in message_.findings:
                line, column = finding.position(message_.text)
                why = f"\n      why: {finding.why}" if finding.why else ""
                click.echo(
                    f"  {line}:{column} {finding.severity.value} {finding.code}: "
                    f"{finding.message}{why}\n      suggestion: {finding.suggestion}"
                )
            click.echo()

    data = [
        m.model_dump(mode="json") | {"length": used, "limit": limit, "unit": unit}
        for m, (used, limit, unit) in zip(messages, lengths, strict=True)
    ]
    _emit(state, data, text)


def _length(message: Any, adapter: Any) -> tuple[int, int | None, str]:
    from candor.length import measure

    capabilities = adapter.capabilities
    unit = capabilities.length_unit.value
    return measure(message.text, unit), capabilities.max_length, unit


@cli.command()
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--status", help="The status the text speaks for (default: read from the text).")
@click.option("--incident", "incident_id", help="Check the facts against this incident.")
@click.option("--internal", is_flag=True, help="For an internal audience: jargon is fine.")
@pass_state
def check(
    state: State, source: Any, status: str | None, incident_id: str | None, internal: bool
) -> None:
    """Check a message's words (a FILE, or - for standard input) before you post it.

    Prints each finding with line:column and a suggestion; exit status 1 when any
    is an error.
    """
    from candor.checks import check as run_checks

    text = source.read()
    incident = None
    if incident_id is not None:
        with state.communicator() as comms:
            incident = comms.get(incident_id)
    findings = run_checks(text, incident=incident, status=status, public=not internal)

    def report() -> None:
        name = getattr(source, "name", "-")
        for finding in findings:
            line, column = finding.position(text)
            why = f"\n    why: {finding.why}" if finding.why else ""
            click.echo(
                f"{name}:{line}:{column}: {finding.severity.value} {finding.code}: "
                f"{finding.message}{why}\n    suggestion: {finding.suggestion}"
            )
        errors = sum(f.is_error for f in findings)
        click.echo(f"{errors} error(s), {len(findings) - errors} warning(s)")

    _emit(
        state,
        [
            f.model_dump(mode="json") | dict(zip(("line", "column"), f.position(text), strict=True))
            for f in findings
        ],
        report,
    )
    if any(f.is_error for f in findings):
        sys.exit(EXIT_ERROR)


@cli.command()
@click.option("--incident", "incident_id", help="Only this incident's overrides.")
@click.option("--json", "local_json", is_flag=True, help="Print JSON (as candor --json does).")
@pass_state
def overrides(state: State, incident_id: str | None, local_json: bool) -> None:
    """List the check errors let through on purpose (allow=... reason=...), rule by rule.

    Each override on the timeline shows the incident, the update, the rules, the
    reason and who decided; the counts per rule show which checks a team overrides
    most, the raw material for tuning them.
    """
    from collections import Counter

    state.as_json = state.as_json or local_json
    with state.communicator() as comms:
        incidents = [comms.get(incident_id)] if incident_id else comms.list()
    records = [
        {
            "incident_id": incident.id,
            "title": incident.title,
            "update_id": update.id,
            "seq": update.seq,
            "created_at": update.created_at.isoformat(),
            "codes": list(update.override.codes),
            "reason": update.override.reason,
            "by": update.override.by,
            "findings": list(update.override.findings),
        }
        for incident in incidents
        for update in incident.updates
        if update.override is not None
    ]
    counted = Counter(code for record in records for code in record["codes"])
    by_rule = [{"code": code, "count": count} for code, count in
               sorted(counted.items(), key=lambda item: (-item[1], item[0]))]  # fmt: skip

    def text() -> None:
        if not records:
            click.echo("No overrides recorded: every update passed the checks as written.")
            return
        click.echo("Overrides per rule:")
        for row in by_rule:
            click.echo(f"  {row['code']:<22} {row['count']}")
        click.echo()
        for record in records:
            who = f" by {record['by']}" if record["by"] else ""
            click.echo(
                f"{record['incident_id']} update {record['seq']} ({record['created_at']}): "
                f"allowed {', '.join(record['codes'])}{who}\n    reason: {record['reason']}"
            )
            for excerpt in record["findings"]:
                click.echo(f"    let through: {excerpt}")

    _emit(state, {"by_rule": by_rule, "overrides": records}, text)


@cli.command()
@click.option("--now", help="Judge at this time (ISO 8601 with offset) instead of now.")
@pass_state
def overdue(state: State, now: str | None) -> None:
    """List broken promises (exit 3) and promises about to break (exit 5), for cron.

    A promise is about to break within the policy's warn_before (default 5
    minutes) of its time; a channel that never received the update keeping a
    promise is listed on its own line.
    """
    from candor.model import parse_when

    moment = parse_when(now, "--now") if now else None
    with state.communicator() as comms:
        found = comms.overdue(moment)

    def text() -> None:
        if not found:
            click.echo("Nothing is overdue: every promise is on time.")
        for reminder in found:
            what = "next update" if reminder.kind == "next_update" else "write-up"
            where = f" on channel {reminder.channel}" if reminder.channel else ""
            verb = "was due by" if reminder.state == "broken" else "is due soon, by"
            click.echo(
                f"{reminder.incident_id}: {what}{where} {verb} {_when(reminder.due_at)} "
                f"(promised in update {reminder.update_id})"
            )

    _emit(state, [r.model_dump(mode="json") for r in found], text)
    if any(r.state == "broken" for r in found):
        sys.exit(EXIT_OVERDUE)
    if found:
        sys.exit(EXIT_DUE_SOON)


@cli.command()
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
    import signal
    import threading

    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }

    def report(action: Any) -> None:
        if not state.as_json:
            reminder = action.reminder
            done = "posted a holding update" if action.action == "holding_update" else "warned"
            click.echo(
                f"{reminder.incident_id}: {done} ({reminder.kind.value} due by "
                f"{_when(reminder.due_at)}, {reminder.state.value.replace('_', ' ')})"
            )

    try:
        with state.communicator() as comms:
            actions = comms.watch(
                interval=interval, ticks=ticks, duration=duration, stop=stop, on_action=report
            )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    data = [{"action": a.action, "reminder": a.reminder.model_dump(mode="json")} for a in actions]
    _emit(state, data, lambda: click.echo(f"Stopped watching; {len(actions)} action(s)."))


@cli.command()
@click.argument("incident_id")
@click.option("--summary", required=True, help="What happened and to whom, in a few sentences.")
@click.option("--what-happened", required=True, help="The story, with times and the cause.")
@click.option("--what-we-are-doing", required=True, help="What will stop it happening again.")
@click.option("--action", "actions", multiple=True, help="An action item (repeat for several).")
@override_options
@pass_state
def postmortem(
    state: State,
    incident_id: str,
    summary: str,
    what_happened: str,
    what_we_are_doing: str,
    actions: tuple[str, ...],
    allow: tuple[str, ...],
    reason: str | None,
) -> None:
    """Publish the write-up of a resolved incident on every channel, keeping its promise."""
    with state.communicator() as comms:
        incident = comms.publish_postmortem(
            incident_id,
            summary=summary,
            what_happened=what_happened,
            what_we_are_doing=what_we_are_doing,
            action_items=list(actions),
            allow=allow,
            reason=reason,
        )
    _report_delivery(state, incident)


@cli.command()
@click.argument("incident_id")
@click.argument("number", type=int)
@click.argument("status", type=click.Choice(["open", "in_progress", "done", "dropped"]))
@pass_state
def action(state: State, incident_id: str, number: int, status: str) -> None:
    """Set the status of a write-up's action item; the status page shows it."""
    with state.communicator() as comms:
        item = comms.set_action_item(incident_id, number, status)
    _emit(
        state,
        item.model_dump(mode="json"),
        lambda: click.echo(f"{incident_id}: action {item.number} is {item.status.value}"),
    )


@cli.command()
@click.argument("incident_id")
@click.option("--reason", help="Why close while a promise is open (recorded with who).")
@pass_state
def close(state: State, incident_id: str, reason: str | None) -> None:
    """Close the books on a resolved incident; refused while its write-up is owed."""
    with state.communicator() as comms:
        incident = comms.close_incident(incident_id, reason=reason)
    _emit(
        state,
        _incident_json(incident),
        lambda: click.echo(f"{incident.id}: closed."),
    )


@cli.command()
@click.argument("incident_id")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False),
    help="Also write an SVG chart of the updates against the promises to this file.",
)
@pass_state
def report(state: State, incident_id: str, chart: str | None) -> None:
    """The comms scorecard of an incident: speed, silences, promises, endings, overrides."""
    from candor.promises import timeline_svg

    with state.communicator() as comms:
        card = comms.report(incident_id)
    if chart:
        Path(chart).write_text(timeline_svg(card), encoding="utf-8")
    _emit(state, card.model_dump(mode="json"), lambda: click.echo(card.text()))


@cli.command()
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
        from candor.errors import InputError

        raise InputError("--channel", channels[0], "only limits --retry-failed; add --retry-failed")
    with state.communicator() as comms:
        outcomes = comms.deliver_pending(
            force=force, retry_failed=retry_failed, channels=list(channels) or None
        )
    rows = [
        {
            "incident_id": o.item.incident_id,
            "seq": o.item.seq,
            "channel": o.channel,
            "state": o.state.value,
            "sent": o.sent,
            "attempts": o.attempts,
            "next_attempt_at": o.next_attempt_at,
            "error": o.error,
        }
        for o in outcomes
    ]

    def text() -> None:
        if not outcomes:
            click.echo("Nothing is owed to any channel.")
            return
        for incident_id in dict.fromkeys(row["incident_id"] for row in rows):
            _table([r for r in rows if r["incident_id"] == incident_id], incident_id)

    _emit(state, rows, text)
    _exit_if_owed(rows)


@cli.command(name="import")
@click.argument("service", type=click.Choice(["statuspage"]))
@click.option("--channel", "channel_name", help="Import from this channel only.")
@pass_state
def import_(state: State, service: str, channel_name: str | None) -> None:
    """Read a status page's unresolved incidents into the store, so candor continues them.

    Every channel with the SERVICE adapter (or only --channel) is read; each
    open incident there becomes a candor incident whose later updates go to
    that same remote incident. Importing again imports nothing new.
    """
    from candor.errors import ConfigError

    rows = []
    with state.communicator() as comms:
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
                rows.append({"channel": name, "remote_id": root, **_incident_json(incident)})

    def text() -> None:
        if not rows:
            click.echo(f"Nothing new to import from {', '.join(names)}.")
        for row in rows:
            click.echo(
                f"Imported {row['id']} from {row['channel']} ({service} incident "
                f"{row['remote_id']}): {row['status']}  {row['title']}"
            )

    _emit(state, rows, text)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a candor error is one line on standard error and exit status 1."""
    try:
        cli.main(args=argv, prog_name="candor", standalone_mode=False)
    except CandorError as exc:
        click.echo(f"candor: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("candor: aborted", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        sys.exit(130)
