"""Checking words: check."""

from __future__ import annotations

import sys
from typing import Any

import click

from candor.cli._shared import EXIT_ERROR, State, echo, emit, pass_state

__all__ = ["check"]


@click.command()
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
    # Imported here so that --help never loads the checks (their patterns).
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
            echo(
                f"{name}:{line}:{column}: {finding.severity.value} {finding.code}: "
                f"{finding.message}\n    suggestion: {finding.suggestion}"
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
