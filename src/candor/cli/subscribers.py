"""Subscribers from a shell: ``candor subscribers add|remove|list|import|export|confirm``."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

import click

from candor.cli._shared import State, echo, emit, pass_state, when

__all__ = ["subscribers"]

_COLUMNS = ("address", "components", "regions", "subscribed_at", "source", "confirmed_at")


def _json_option(command: Any) -> Any:
    """``--json`` after the subcommand too, as before it (``candor --json subscribers list``)."""

    def chosen(ctx: click.Context, _: click.Parameter, value: bool) -> None:
        state = ctx.find_object(State)
        if value and state is not None:
            state.as_json = True

    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        expose_value=False,
        callback=chosen,
        help="Print JSON for scripts.",
    )(command)


@click.group()
def subscribers() -> None:
    """Manage the people email channels tell: add, remove, list, import, export, confirm.

    An update goes to every confirmed subscriber whose filter meets the incident's
    scope (no filter: every incident), and to everyone told of the incident before.
    """


def _line(subscriber: Any) -> str:
    what = ", ".join(subscriber.components) or "every component"
    where = ", ".join(subscriber.regions) or "every region"
    confirmed = (
        f"confirmed {when(subscriber.confirmed_at)}" if subscriber.confirmed else "not confirmed"
    )
    return f"{subscriber.address}: {what}; {where}; {confirmed} (via {subscriber.source})"


@subscribers.command()
@click.argument("address")
@click.option("-c", "--component", "components", multiple=True, help="Only incidents of this.")
@click.option("-r", "--region", "regions", multiple=True, help="Only incidents in this region.")
@click.option(
    "--confirmed", is_flag=True, help="They confirmed elsewhere: mail no confirmation link."
)
@_json_option
@pass_state
def add(
    state: State,
    address: str,
    components: tuple[str, ...],
    regions: tuple[str, ...],
    confirmed: bool,
) -> None:
    """Add a subscriber and mail them a link to confirm (double opt-in)."""
    with state.communicator(creates=True) as comms:
        made = comms.subscribe(
            address, components=components, regions=regions, confirmed=confirmed, source="cli"
        )
    emit(
        state,
        made.model_dump(mode="json"),
        lambda: echo(_line(made) + ("" if made.confirmed else "; a confirmation link was mailed")),
    )


@subscribers.command()
@click.argument("address", required=False)
@click.option("--token", help="The token of an unsubscribe link, instead of an address.")
@_json_option
@pass_state
def remove(state: State, address: str | None, token: str | None) -> None:
    """Remove a subscriber at once, by address or by an unsubscribe link's token.

    Whatever is still queued for them is withdrawn; a mail already being handed to
    the SMTP server may still arrive.
    """
    with state.communicator() as comms:
        removed = comms.unsubscribe(address, token=token)
    who = address or "the link's subscriber"
    emit(
        state,
        {"removed": removed},
        lambda: echo(f"{who}: removed" if removed else f"{who}: was not subscribed"),
    )


@subscribers.command(name="list")
@click.option("--confirmed-only", is_flag=True, help="Only those who confirmed.")
@_json_option
@pass_state
def list_(state: State, confirmed_only: bool) -> None:
    """List the subscribers, in the order they subscribed."""
    with state.communicator() as comms:
        found = comms.subscribers(confirmed_only=confirmed_only)

    def text() -> None:
        if not found:
            echo("No subscribers.")
        for subscriber in found:
            echo(_line(subscriber))

    emit(state, [s.model_dump(mode="json") for s in found], text)


@subscribers.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--confirmed",
    is_flag=True,
    help="They all confirmed elsewhere: mail no confirmation links.",
)
@_json_option
@pass_state
def import_(state: State, file: Path, confirmed: bool) -> None:
    """Add the subscribers of a CSV file: columns address, components, regions (;-separated).

    The first line names the columns; only ``address`` is required (``candor
    subscribers export`` writes this form). Every line is checked before any is
    added: a bad one is an error naming its line, and nothing is added.
    """
    # Imported here so that --help never loads the model (pydantic).
    from candor.errors import InputError
    from candor.vocabulary import email_address

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {file}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "address" not in reader.fieldnames:
        raise InputError("file", str(file), "the first line must name the columns, with address")
    wanted: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
    for row in reader:
        line = reader.line_num
        address = email_address((row.get("address") or "").strip(), f"{file}:{line}: address")
        wanted.append((address, _split(row.get("components")), _split(row.get("regions"))))
    added = []
    with state.communicator(creates=True) as comms:
        for address, components, regions in wanted:
            added.append(
                comms.subscribe(
                    address,
                    components=components,
                    regions=regions,
                    confirmed=confirmed,
                    source="import",
                )
            )
    emit(
        state,
        [s.model_dump(mode="json") for s in added],
        lambda: echo(
            f"Added {len(added)} subscriber(s) from {file}"
            + ("." if confirmed else "; each was mailed a confirmation link.")
        ),
    )


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split(";") if part.strip())


@subscribers.command()
@_json_option
@pass_state
def export(state: State) -> None:
    """Write every subscriber as CSV to standard output (the form ``import`` reads)."""
    with state.communicator() as comms:
        found = comms.subscribers()
    if state.as_json:
        emit(state, [s.model_dump(mode="json") for s in found], lambda: None)
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(_COLUMNS)
    for s in found:
        writer.writerow(
            (
                s.address,
                ";".join(s.components),
                ";".join(s.regions),
                s.subscribed_at.isoformat(),
                s.source,
                s.confirmed_at.isoformat() if s.confirmed_at else "",
            )
        )


@subscribers.command()
@click.argument("token")
@_json_option
@pass_state
def confirm(state: State, token: str) -> None:
    """Confirm a subscriber with the token of the link they were mailed."""
    with state.communicator() as comms:
        confirmed = comms.confirm(token)
    emit(state, confirmed.model_dump(mode="json"), lambda: echo(_line(confirmed)))
