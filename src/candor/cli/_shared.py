"""What every command shares: the global options' state, the exit statuses, and the output.

Output is ``--json`` (one document on standard output) or text. Every line of
text goes through :func:`echo`, which shows control characters and escape
sequences (in text an older candor recorded, or an error a service sent back)
as escapes such as ``\\x1b``: nothing a user or a service wrote reaches the
terminal raw. ``--json`` escapes them the JSON way. Commands that
deliver show each channel's outcome on standard error as it settles and end
with a table of the channels sent, retrying and failed.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import click

from candor._escape import terminal_safe
from candor._state import masked
from candor.errors import CandorError, CheckError, IncidentNotFound, InputError

if TYPE_CHECKING:
    from candor.communicator import Communicator
    from candor.doctor import Setup

__all__ = [
    "EXIT_DUE_SOON",
    "EXIT_ERROR",
    "EXIT_OVERDUE",
    "EXIT_UNDELIVERED",
    "State",
    "echo",
    "emit",
    "error_json",
    "exit_if_owed",
    "incident_json",
    "incident_named",
    "one_line",
    "pass_state",
    "refusal",
    "report_delivery",
    "table",
    "when",
]

EXIT_ERROR = 1
EXIT_OVERDUE = 3
EXIT_UNDELIVERED = 4
EXIT_DUE_SOON = 5

P = ParamSpec("P")
R = TypeVar("R")


class State:
    """What the global options chose, shared by every command."""

    def __init__(
        self, config: str | None, as_json: bool, verbose: int = 0, *, found: str | None = None
    ) -> None:
        self.config = config
        self.as_json = as_json
        self.verbose = verbose
        self.found = found
        """How ``config`` was given: ``--config`` or ``$CANDOR_CONFIG`` (None: not given)."""
        self.setup: Setup | None = None
        """The configuration and store the command used, once it has a communicator."""
        self.scratch = False
        """True when the command used a temporary store (a preview with no store yet)."""
        self._logging = False

    def start_logging(self) -> None:
        """Configure logging for this process, once, as ``-v`` asked.

        Done when a command runs rather than when the group parses its options,
        so that ``candor COMMAND --help`` does not pay for importing the library.
        """
        if not self._logging:
            configure_logging(self.verbose)
            self._logging = True

    @contextlib.contextmanager
    def communicator(
        self, *, creates: bool = False, scratch: bool = False, early: bool = False
    ) -> Iterator[Communicator]:
        """The communicator of the configuration chosen, on its store.

        A command that only reads or continues what is recorded refuses a store
        that does not exist (a StoreError naming it, and how to name the right
        configuration), rather than creating an empty one and reporting that
        nothing is there; ``creates`` lets a command that starts something new
        (``open``, ``import``) create it, and ``scratch`` gives a command that
        stores nothing (a preview) a temporary one instead. Once the command's
        work is done (``early``: as soon as the communicator is built) the
        configuration and the store used are named on standard error.
        """
        # Imported here: the facade (pydantic, jinja2, httpx) loads only for a command that
        # talks to the store or the channels, never for --help.
        from candor.communicator import Communicator
        from candor.doctor import locate
        from candor.errors import StoreError

        setup = locate(self.config, found=self.found)
        self.setup = setup
        store: str | None = None
        created = False
        with contextlib.ExitStack() as stack:
            if setup.store is not None and not setup.store.exists():
                if scratch:
                    import tempfile

                    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="candor-"))
                    store = str(Path(folder) / "candor.db")
                    self.scratch = True
                elif not creates:
                    raise StoreError(setup.missing_store())
                else:
                    created = True
            # In --json mode standard output carries only the JSON document, so
            # anything an adapter prints (the console channel) goes to stderr.
            quiet = (
                contextlib.redirect_stdout(sys.stderr) if self.as_json else contextlib.nullcontext()
            )
            on_outcome = None if self.as_json else progress
            with quiet:
                comms = Communicator.from_config(setup.config, store=store, on_outcome=on_outcome)
                loaded()
                if early:
                    self.announce(created)
                try:
                    yield comms
                finally:
                    comms.close()
            if not early:
                self.announce(created)

    def announce(self, created: bool = False) -> None:
        """Name the configuration and the store used, on standard error (one line)."""
        setup = self.setup
        if setup is None:
            return
        if self.scratch:
            where = "none (nothing is stored by a preview)"
        else:
            where = setup.describe_store() + (" (created now)" if created else "")
        echo(f"candor: config: {setup.describe_config()}; store: {where}", err=True)

    def fields(self) -> dict[str, Any]:
        """The configuration and store used, as ``--json`` objects carry them."""
        if self.setup is None:
            return {}
        fields = self.setup.fields()
        if self.scratch:
            fields["store"] = None
        return fields


# True from the pause in starting() until loaded(); only ever set within one main() call,
# which puts it back, so it needs no reset.
_paused = False


@contextlib.contextmanager
def starting() -> Iterator[None]:
    """Run a command with cyclic garbage collection paused until the library is loaded.

    Loading the model, the facade and the adapters allocates a few hundred
    thousand objects and frees almost none, so collecting while they load only
    walks them: tens of milliseconds of a fresh process. Collection resumes once
    the communicator is built (see :func:`loaded`), for ``watch`` and long
    deliveries; a command without one is short and ends with the pause.

    When the process ends, everything still alive is frozen first: the collection
    Python makes as it finalizes would walk every object the library made only to
    find them all still referenced, about a fifth of a fresh ``candor open``.
    """
    global _paused
    # Unregistered first, so that calling main() again in one process adds no second one.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    if not gc.isenabled():  # someone else's choice; leave it alone
        yield
        return
    gc.disable()
    _paused = True
    try:
        yield
    finally:
        if _paused:  # the library never loaded: nothing was frozen
            _paused = False
        else:
            gc.unfreeze()
        gc.enable()


def loaded() -> None:
    """The library is loaded: keep its objects out of later collections, and collect again."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def pass_state(command: Callable[Concatenate[State, P], R]) -> Callable[P, R]:
    """Call ``command`` with the :class:`State`, logging configured first."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        state = click.get_current_context().find_object(State)
        if state is None:  # a command used outside the candor group
            raise RuntimeError(f"{command.__name__} runs as a subcommand of candor")
        state.start_logging()
        try:
            return command(state, *args, **kwargs)
        except CandorError as exc:
            if isinstance(exc, IncidentNotFound) and state.setup is not None and not state.scratch:
                # Which store was asked: the incident may well be in another one.
                exc.args = (f"{exc.args[0]} in the store {state.setup.describe_store()}",)
            if state.as_json:  # scripts read stdout: the error is a JSON document there too
                click.echo(masked(json.dumps({"error": error_json(exc)}, indent=2, default=str)))
            raise  # main() prints the line on standard error and exits 1

    return run


def error_json(exc: CandorError) -> dict[str, Any]:
    """A candor error as ``--json`` prints it: its kind, its line, and what it carries."""
    data: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    for name in ("field", "incident_id", "channel", "status_code", "template", "variable"):
        value = getattr(exc, name, None)
        if value is not None:
            data[name] = value
    findings = getattr(exc, "findings", None)
    if isinstance(findings, list):
        data["findings"] = [
            {"channel": channel, **finding.model_dump(mode="json")} for channel, finding in findings
        ]
        data["allow"] = sorted({finding.code for _, finding in findings})
    return data


def refusal(exc: CheckError) -> str:
    """A check refusal in the shell's words, on one line: every finding, and the options."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for channel, finding in exc.findings:
        grouped.setdefault((finding.code, finding.message), []).append(channel)
    found = "; ".join(
        f"{', '.join(channels)}: {code}: {message}" for (code, message), channels in grouped.items()
    )
    allow = " ".join(f"--allow {code}" for code in exc.codes)
    return (
        f"candor: error: blocked by candor checks, nothing stored or sent: {found}; fix the "
        f'text, or send it anyway with {allow} --reason "why it is right here"'
    )


def configure_logging(verbose: int) -> None:
    """Log events to standard error as plain lines: warnings, or more with -v and -vv."""
    import logging

    from candor.log import log_to_stderr

    log_to_stderr([logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)])


def echo(text: str = "", *, err: bool = False) -> None:
    """Print one piece of text, every control character but newline and tab escaped."""
    click.echo(terminal_safe(text), err=err)


def one_line(text: str) -> str:
    """``text`` for a place that is one line: newlines and tabs are escaped too."""
    return terminal_safe(text, lines=False)


def emit(state: State, data: Any, text: Callable[[], None]) -> None:
    """Print ``data`` as JSON with --json, else call ``text``.

    A JSON object also says which configuration and store the command used
    (``config``, ``config_from``, ``store``), unless it already has those names.
    """
    if state.as_json:
        if isinstance(data, dict):
            data = {**data, **{k: v for k, v in state.fields().items() if k not in data}}
        # Registered secrets masked once more: a row recorded before they were masked at
        # the source (an older candor) must not print them either. JSON escapes controls.
        click.echo(masked(json.dumps(data, indent=2, default=str)))
    else:
        text()


def incident_json(incident: Any) -> Any:
    return incident.model_dump(mode="json")


_MARK = {"sent": "✓", "failed": "✗"}


def progress(outcome: Any) -> None:
    """One line on standard error as each channel's delivery settles."""
    echo(f"  {_MARK.get(outcome.state.value, '…')} {one_line(outcome_line(outcome))}", err=True)


def outcome_line(outcome: Any) -> str:
    item = outcome.item
    state = label(outcome.state.value, unconfigured=outcome.unconfigured is not None)
    text = f"{outcome.channel} (update {item.seq}): {state}"
    if outcome.sent:
        tries = f"{outcome.attempts} attempt{'s' if outcome.attempts != 1 else ''}"
        return f"{text} ({tries}, {outcome.latency * 1000:.0f} ms)"
    if outcome.next_attempt_at is not None:
        text += f" from {when(outcome.next_attempt_at)}"
    return f"{text}: {outcome.error}" if outcome.error else text


def label(state: str, *, unconfigured: bool = False) -> str:
    """How a delivery state reads in the summary: sent, retrying, failed or not configured."""
    if unconfigured and state not in {"sent", "failed"}:
        return "not configured"
    return {"sent": "sent", "failed": "failed", "in_flight": "in flight"}.get(state, "retrying")


def summary(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The channels sent, retrying, failed and not configured, for --json."""
    channels: dict[str, list[str]] = {"sent": [], "retrying": [], "failed": [], "unconfigured": []}
    for row in rows:
        word = label(row["state"], unconfigured=bool(row.get("unconfigured")))
        key = {"in flight": "retrying", "not configured": "unconfigured"}.get(word, word)
        channels[key].append(row["channel"])
    return channels


def table(rows: list[dict[str, Any]], title: str) -> None:
    """The closing table: one row per channel and update, with its state, in aligned columns."""
    header = ("channel", "update", "state", "attempts", "detail")
    cells: list[tuple[str, ...]] = [header]
    for row in rows:
        detail = row.get("error") or ""
        if row.get("next_attempt_at"):
            detail = f"next attempt {when(row['next_attempt_at'])}; {detail}".rstrip("; ")
        elif row.get("url"):
            detail = row["url"]
        cells.append(
            (
                one_line(row["channel"]),
                str(row["seq"]),
                label(row["state"], unconfigured=bool(row.get("unconfigured"))),
                str(row["attempts"]),
                one_line(detail),
            )
        )
    widths = [max(len(line[n]) for line in cells) for n in range(len(header))]
    cells.insert(1, tuple("-" * width for width in widths))
    echo(one_line(title))
    for line in cells:
        padded = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        echo("  ".join(padded).rstrip())


def exit_if_owed(rows: list[dict[str, Any]]) -> None:
    """Exit 4, saying which channels and why, when any has not taken its update.

    A row another process is delivering right now is named apart: it is in
    hands, not lost, and that process records how it went.
    """
    elsewhere = [r["channel"] for r in rows if r.get("elsewhere")]
    waiting = {
        r["channel"]: r["unconfigured"]
        for r in rows
        if r.get("unconfigured") and r["state"] not in {"sent", "failed"}
    }
    owed = [
        r["channel"]
        for r in rows
        if r["state"] not in {"sent", "failed"}
        and not r.get("elsewhere")
        and r["channel"] not in waiting
    ]
    refused = [r["channel"] for r in rows if r["state"] == "failed"]
    if not owed and not refused and not elsewhere and not waiting:
        return
    parts = []
    if waiting:
        named = ", ".join(f"{channel} ({why})" for channel, why in waiting.items())
        parts.append(
            f"owed to channels not configured: {named}; set what they need, then run"
            " `candor deliver`"
        )
    if owed:
        parts.append(f"not yet delivered to: {', '.join(owed)}; run `candor deliver` to try again")
    if elsewhere:
        parts.append(
            f"being delivered by another process: {', '.join(elsewhere)} (it records the outcome)"
        )
    if refused:
        parts.append(f"refused for good by: {', '.join(refused)} (see the table for why)")
    echo(f"candor: recorded, but {'; '.join(parts)}", err=True)
    sys.exit(EXIT_UNDELIVERED)


def report_delivery(
    state: State, incident: Any, unconfigured: Mapping[str, str] | None = None
) -> None:
    """Print the incident's new update and where it went; exit 4 if a channel has not taken it.

    ``unconfigured`` names the channels that cannot deliver yet, and why: their
    rows are owed, and the table and the exit say so.
    """
    update = incident.updates[-1]
    waiting = unconfigured or {}
    rows = [
        {
            "channel": d.channel,
            "seq": d.seq,
            "state": d.state.value,
            "attempts": d.attempts,
            "next_attempt_at": d.next_attempt_at,
            "error": (d.last_error or waiting.get(d.channel)) if d.state.value != "sent" else None,
            "url": d.remote_url,
            "unconfigured": waiting.get(d.channel),
        }
        for d in incident.deliveries
        if d.update_id == update.id
    ]

    def text() -> None:
        echo(f"{incident.id}: {incident.status.value} · {one_line(incident.title)}")
        if incident.next_update_by is not None:
            echo(f"Next update promised by {when(incident.next_update_by)}.")
        table(rows, f"Update {update.seq}")

    emit(state, {**incident_json(incident), "delivery": summary(rows)}, text)
    exit_if_owed(rows)


def when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def incident_named(comms: Any, reference: str | None, *, latest: bool = False) -> str:
    """The id of the incident a command was given: an id, a title or a title's start, or
    ``--latest`` (the one open incident). Refused, listing candidates, when that is not one."""
    if latest and reference is not None:
        raise InputError("--latest", reference, "give an incident or --latest, not both")
    if latest:
        return str(comms.only_open().id)
    if reference is None:
        raise InputError("INCIDENT", None, "give an incident's id or title, or --latest")
    return str(comms.find(reference).id)
