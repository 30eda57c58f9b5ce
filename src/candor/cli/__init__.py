"""The ``candor`` command: incidents from a shell, a runbook or cron.

Exit status: 0 success; 1 a user error (one line on standard error, never a
traceback); 2 a usage error; 3 ``overdue`` found broken promises; 4 the update
was recorded but at least one channel has not taken it (``candor deliver``
tries again what is still owed); 5 ``overdue`` found promises about to break
(and none broken).

Every call is a fresh process, so each loads only what its command needs: the
group knows every command's name, module and one-line help from the table
:data:`COMMANDS`, and imports a command's module when that command is asked
for. ``candor --help`` imports click and nothing of the library;
``candor COMMAND --help`` adds that command's module (click and the shared
options); the facade, the model, jinja2, httpx and rich load only when a
command runs. A new command goes in the module of its family (incidents,
promises, delivery, checks, start, subscribers) and gets a line in :data:`COMMANDS`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from importlib import import_module
from typing import Any, NamedTuple

import click

from candor._version import __version__
from candor.cli._shared import EXIT_ERROR, State, echo, refusal, starting
from candor.errors import CandorError, CheckError

__all__ = ["COMMANDS", "cli", "main"]


class Entry(NamedTuple):
    """Where a command lives, and the first paragraph of its help (for ``candor --help``)."""

    module: str
    function: str
    summary: str


COMMANDS: Mapping[str, Entry] = {
    "action": Entry(
        "promises",
        "action",
        "Set the status of a write-up's action item; the status page shows it.",
    ),
    "check": Entry(
        "checks",
        "check",
        "Check a message's words (a FILE, or - for standard input) before you post it.",
    ),
    "close": Entry(
        "promises",
        "close",
        "Close the books on a resolved incident; refused while its write-up is owed.",
    ),
    "config": Entry("start", "config", "Show the configuration as loaded, every secret masked."),
    "correct": Entry(
        "incidents",
        "correct",
        "Correct the text of a published update, on every channel that was given it.",
    ),
    "deliver": Entry(
        "delivery", "deliver", "Send whatever is still owed to any channel, in order per channel."
    ),
    "demo": Entry(
        "start", "demo", "Run a realistic incident from open to resolved on the embedded default."
    ),
    "doctor": Entry(
        "start",
        "doctor",
        "Check a setup: the configuration, the store, every channel's secrets and service.",
    ),
    "import": Entry(
        "delivery",
        "import_",
        "Read a status page's unresolved incidents into the store, so candor continues them.",
    ),
    "init": Entry("start", "init", "Write a commented candor.toml to start from."),
    "list": Entry("incidents", "list_", "List incidents, newest first."),
    "open": Entry("incidents", "open_", "Open an incident and tell every channel."),
    "overdue": Entry(
        "promises",
        "overdue",
        "List broken promises (exit 3) and promises about to break (exit 5), for cron.",
    ),
    "overrides": Entry(
        "checks",
        "overrides",
        "List the check errors let through on purpose (allow=... reason=...), rule by rule.",
    ),
    "postmortem": Entry(
        "promises",
        "postmortem",
        "Publish the write-up of a resolved incident on every channel, keeping its promise.",
    ),
    "preview": Entry(
        "incidents",
        "preview",
        "Show what every channel would get, without storing or sending anything.",
    ),
    "reopen": Entry("incidents", "reopen", "Reopen a resolved incident."),
    "report": Entry(
        "promises",
        "report",
        "The comms scorecard of an incident: speed, silences, promises, endings, overrides.",
    ),
    "resolve": Entry(
        "incidents",
        "resolve",
        "Resolve an incident on every channel that carried any of its updates, and any new one.",
    ),
    "show": Entry(
        "incidents", "show", "Show an incident's whole timeline and where each update went."
    ),
    "subscribers": Entry(
        "subscribers",
        "subscribers",
        "Manage the people email channels tell: add, remove, list, import, export, confirm.",
    ),
    "update": Entry("incidents", "update", "Post an update on an open incident."),
    "watch": Entry(
        "promises",
        "watch",
        "Keep promises beside an incident: run the policy (warn or holding_update) in a loop.",
    ),
}
"""Every command: its name, its module in :mod:`candor.cli`, its function, its summary."""


class LazyGroup(click.Group):
    """A group that imports a command's module only when the command is asked for.

    Its help lists the commands from :data:`COMMANDS` without importing any;
    a test pins that each summary is the first paragraph of its command's help.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, Entry], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(load(self.lazy[cmd_name]), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing, over stand-ins that carry only the summary: the same
        # text, shortened the same way, without importing a command's module.
        stand_ins = {
            name: self.commands.get(name) or click.Command(name, help=self.lazy[name].summary)
            for name in self.list_commands(ctx)
        }
        rows = [(name, command) for name, command in stand_ins.items() if not command.hidden]
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section("Commands"):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])


def load(entry: Entry) -> click.Command:
    """The command ``entry`` names, imported from its module."""
    command = getattr(import_module(f"candor.cli.{entry.module}"), entry.function)
    if not isinstance(command, click.Command):
        raise TypeError(f"candor.cli.{entry.module}.{entry.function} is not a click command")
    return command


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="candor")
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    envvar="CANDOR_CONFIG",
    help="The candor.toml to use (also $CANDOR_CONFIG; default: ./candor.toml, else the"
    " embedded default). Cron runs in $HOME: name the file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@click.pass_context
def cli(ctx: click.Context, config: str | None, as_json: bool, verbose: int) -> None:
    """Tell customers the truth during an incident, on every channel, and never go quiet."""
    # Logging is configured when a command runs (see pass_state), not here: this runs
    # before the command parses its options, so also for ``candor COMMAND --help``.
    source = ctx.get_parameter_source("config")
    found = (
        {
            click.core.ParameterSource.COMMANDLINE: "--config",
            click.core.ParameterSource.ENVIRONMENT: "$CANDOR_CONFIG",
        }.get(source)
        if source is not None
        else None
    )
    ctx.obj = State(config, as_json, verbose, found=found)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a candor error is one line on standard error and exit status 1."""
    # httpx's package imports its own command-line client when it can, and that
    # client imports rich and pygments wherever they are installed: about half of
    # what importing httpx costs a fresh process. The candor command never runs
    # httpx's, so in its process that one module is marked absent (None in
    # sys.modules makes its import fail, and httpx then goes without it). Only
    # here, in candor's own process: the library leaves an application's httpx alone.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    try:
        with starting():
            cli.main(args=argv, prog_name="candor", standalone_mode=False)
    except CheckError as exc:  # in the shell's words: --allow, not allow=[...]
        echo(refusal(exc), err=True)
        sys.exit(EXIT_ERROR)
    except CandorError as exc:
        echo(f"candor: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        echo("candor: aborted", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        sys.exit(130)
