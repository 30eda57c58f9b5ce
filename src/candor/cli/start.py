"""Getting started: init, demo, config and doctor."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from candor.cli._shared import EXIT_ERROR, State, echo, emit, one_line, pass_state
from candor.errors import ConfigError

__all__ = ["config", "demo", "doctor", "init"]


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    help="Where to put the demo (default: a new temporary folder).",
)
@pass_state
def demo(state: State, directory: str | None) -> None:
    """Run a realistic incident from open to resolved on the embedded default."""
    # Imported here so that --help never loads the demo.
    from candor.demo import run_demo

    result = run_demo(Path(directory) if directory else None, quiet=state.as_json)
    emit(
        state,
        {k: str(v) for k, v in result.items()},
        lambda: echo(
            "\nThe demo incident is resolved.\n"
            f"  Status page: {result['index']}\n"
            f"  Incident:    {result['incident']}\n"
            f"  Atom feed:   {result['feed']}\n"
            f"  Summary API: {result['summary']}\n"
            f"  Store:       {result['store']}\n"
            "Open the status page in a browser to see the whole timeline."
        ),
    )


@click.command()
@click.option("--path", default="candor.toml", show_default=True, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@pass_state
def init(state: State, path: str, force: bool) -> None:
    """Write a commented candor.toml to start from."""
    # Imported here so that --help never loads the config loader.
    from candor.config import starter_config

    target = Path(path)
    if target.exists() and not force:
        raise ConfigError("already exists; pass --force to overwrite it", path=str(target))
    target.write_text(starter_config(), encoding="utf-8")
    emit(state, {"path": str(target)}, lambda: echo(f"Wrote {target}"))


@click.command()
@pass_state
def config(state: State) -> None:
    """Show the configuration as loaded, every secret masked."""
    # Imported here so that --help never loads the configuration machinery.
    from candor.config import load_config

    dumped = load_config(state.config).dump()
    emit(state, dumped, lambda: click.echo(json.dumps(dumped, indent=2)))


@click.command()
@click.option(
    "--offline", is_flag=True, help="Ask no service over the network (local checks only)."
)
@pass_state
def doctor(state: State, offline: bool) -> None:
    """Check a setup: the configuration, the store, every channel's secrets and service.

    One line per check, ok, FAIL or skipped (with why): the configuration found
    (and which), the store (opened read-only, never created), each channel's
    secrets (naming every variable not set), and each channel's service reached
    where a harmless read exists (--offline skips those that use the network).
    Nothing is written or posted. Exit status 0 when nothing failed, 1 otherwise.
    Run it as cron runs candor: the same user, folder and environment.
    """
    # Imported here so that --help never loads the checks' machinery.
    from candor.doctor import diagnose

    setup, checks = diagnose(state.config, found=state.found, offline=offline)
    failed = [check for check in checks if check.result == "fail"]
    data = {
        "ok": not failed,
        **(setup.fields() if setup is not None else {"config": None, "store": None}),
        "checks": [check.as_json() for check in checks],
    }

    def text() -> None:
        for check in checks:
            echo(one_line(check.line()))
        if failed:
            echo(f"{len(failed)} of {len(checks)} checks failed.")
        else:
            echo(f"Every check passed ({len(checks)}).")

    emit(state, data, text)
    if failed:
        sys.exit(EXIT_ERROR)
