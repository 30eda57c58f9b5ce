"""Getting started: init, demo and config."""

from __future__ import annotations

import json
from pathlib import Path

import click

from candor.cli._shared import State, echo, emit, pass_state
from candor.errors import ConfigError

__all__ = ["config", "demo", "init"]


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
