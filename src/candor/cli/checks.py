"""Checking words: check, and the overrides that let checks through."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import click

from candor.cli._shared import EXIT_ERROR, State, echo, emit, pass_state

__all__ = ["check", "overrides"]


@click.command()
@click.argument("source", type=click.File("r", encoding="utf-8"), required=False)
@click.option("--status", help="The status the text speaks for (default: read from the text).")
@click.option("--incident", "incident_id", help="Check the facts against this incident.")
@click.option("--internal", is_flag=True, help="For an internal audience: jargon is fine.")
@pass_state
def check(
    state: State, source: Any, status: str | None, incident_id: str | None, internal: bool
) -> None:
    """Check a message's words (a FILE, or - for standard input) before you post it.

    Prints each finding with line:column and a suggestion; exit status 1 when any
    is an error. With no FILE on a terminal it says how to give the text instead
    of waiting (exit 2); ``-`` reads what you type, up to Ctrl-D.
    """
    # Imported here so that --help never loads the checks (their patterns).
    from candor.checks import check as run_checks

    if source is None:
        source = sys.stdin
        # Text piped in is read, as `candor check -` reads it; a terminal with no FILE
        # would wait silently, which looks like a hang.
        if _is_terminal(source):
            echo(
                "candor check: give the text to check as a FILE, or pipe it in "
                '(echo "..." | candor check -); to type it here, run `candor check -` '
                "and end with Ctrl-D.",
                err=True,
            )
            sys.exit(2)
    text = source.read()
    incident = None
    if incident_id is not None:
        with state.communicator() as comms:
            incident = comms.find(incident_id)
    findings = run_checks(text, incident=incident, status=status, public=not internal)

    def report() -> None:
        name = getattr(source, "name", "-")
        for finding in findings:
            line, column = finding.position(text)
            why = f"\n    why: {finding.why}" if finding.why else ""
            echo(
                f"{name}:{line}:{column}: {finding.severity.value} {finding.code}: "
                f"{finding.message}{why}\n    suggestion: {finding.suggestion}"
            )
        errors = sum(f.is_error for f in findings)
        echo(f"{errors} error(s), {len(findings) - errors} warning(s)")

    emit(
        state,
        [
            f.model_dump(mode="json") | dict(zip(("line", "column"), f.position(text), strict=True))
            for f in findings
        ],
        report,
    )
    if any(f.is_error for f in findings):
        sys.exit(EXIT_ERROR)


@click.command()
@click.option("--incident", "incident_id", help="Only this incident's overrides.")
@click.option("--json", "local_json", is_flag=True, help="Print JSON (as candor --json does).")
@pass_state
def overrides(state: State, incident_id: str | None, local_json: bool) -> None:
    """List the check errors let through on purpose (allow=... reason=...), rule by rule.

    Each override on the timeline shows the incident, the update, the rules, the
    reason and who decided; the counts per rule show which checks a team overrides
    most, the raw material for tuning them.
    """
    state.as_json = state.as_json or local_json
    with state.communicator() as comms:
        incidents = [comms.find(incident_id)] if incident_id else comms.list()
    records: list[dict[str, Any]] = [
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
            echo("No overrides recorded: every update passed the checks as written.")
            return
        echo("Overrides per rule:")
        for row in by_rule:
            echo(f"  {row['code']:<22} {row['count']}")
        echo()
        for record in records:
            who = f" by {record['by']}" if record["by"] else ""
            echo(
                f"{record['incident_id']} update {record['seq']} ({record['created_at']}): "
                f"allowed {', '.join(record['codes'])}{who}\n    reason: {record['reason']}"
            )
            for excerpt in record["findings"]:
                echo(f"    let through: {excerpt}")

    emit(state, {"by_rule": by_rule, "overrides": records}, text)


def _is_terminal(source: Any) -> bool:
    try:
        return bool(source.isatty())
    except (AttributeError, ValueError):
        return False
