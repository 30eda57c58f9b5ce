"""The shape of the ``candor`` command: a lazy group over one module per command family.

Each call of ``candor`` is a fresh process, so what a command imports is what a
runbook waits for; these tests pin that ``--help`` loads none of the library.
"""

from __future__ import annotations

import gc
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
import pytest

import candor.cli
from candor.cli import COMMANDS, cli, main

HEAVY = (
    "candor.communicator",
    "candor.model",
    "candor.render",
    "candor.checks",
    "candor.store",
    "candor.adapters",
    "pydantic",
    "jinja2",
    "httpx",
    "rich",
    "structlog",
    "regex",
)


def loaded_after(argv: list[str]) -> tuple[list[str], str]:
    """The modules of interest that ``candor ARGV`` imported in a fresh process, and its output."""
    code = (
        "import contextlib, io, json, sys\n"
        "from candor.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        f"        main({argv!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        "names = sorted(m for m, loaded in sys.modules.items() if loaded is not None and\n"
        f"               (m.startswith('candor') or\n"
        f"                m.split('.')[0] in {sorted({h.split('.')[0] for h in HEAVY})!r}))\n"
        "print(json.dumps({'modules': names, 'output': out.getvalue()}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "80"},
    )
    result = json.loads(done.stdout)
    return result["modules"], result["output"]


def heavy_in(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


class TestImportsOnlyWhatACommandNeeds:
    def test_help_imports_no_command_module_and_none_of_the_library(self) -> None:
        modules, output = loaded_after(["--help"])
        assert heavy_in(modules) == []
        assert not [m for m in modules if m.split(".")[:2] == ["candor", "cli"] and
                    not m.split(".")[-1].startswith("_") and m != "candor.cli"]  # fmt: skip
        assert "Open an incident and tell every channel." in output

    def test_a_commands_help_imports_its_family_module_only(self) -> None:
        modules, output = loaded_after(["open", "--help"])
        assert heavy_in(modules) == []
        assert "candor.cli.incidents" in modules
        assert "candor.cli.promises" not in modules
        assert "--component" in output
        assert "--allow" in output

    def test_a_command_that_runs_loads_neither_structlog_nor_rich(self, tmp_path: Path) -> None:
        """Importing structlog loads rich where rich is installed; candor needs neither."""
        modules, _ = loaded_after(["init", "--path", str(tmp_path / "candor.toml")])
        assert "candor.cli.start" in modules
        assert "candor.log" in modules  # logging is configured once the command runs
        assert [m for m in modules if m.split(".")[0] in {"structlog", "rich", "pygments"}] == []
        config = tmp_path / "candor.toml"
        config.write_text(
            '[store]\nurl = "sqlite:///candor.db"\n\n'
            '[[channels]]\nname = "console"\nadapter = "console"\n',
            encoding="utf-8",
        )
        modules, output = loaded_after(
            ["--config", str(config), "open", "API down", "-c", "API", "-m", "Requests fail."]
        )
        assert "console" in output  # it ran, to the end of its table
        assert "candor.communicator" in modules
        assert [m for m in modules if m.split(".")[0] in {"structlog", "rich", "pygments"}] == []


class TestCommandTable:
    def test_each_summary_is_the_first_paragraph_of_its_commands_help(self) -> None:
        for name, entry in COMMANDS.items():
            command = cli.get_command(click.Context(cli), name)
            assert command is not None, name
            assert command.help is not None, name
            first = inspect.cleandoc(command.help).split("\n\n")[0].replace("\n", " ")
            assert first == entry.summary, name

    def test_every_command_in_the_package_is_in_the_table(self) -> None:
        found = {}
        inside: set[int] = set()  # a group's subcommands are the group's entry
        for info in pkgutil.iter_modules(candor.cli.__path__):
            module = import_module(f"candor.cli.{info.name}")
            for value in vars(module).values():
                if isinstance(value, click.Group):
                    inside.update(id(command) for command in value.commands.values())
            for attribute, value in vars(module).items():
                command = value if isinstance(value, click.Command) else None
                if command is not None and command.callback is not None and id(value) not in inside:
                    found[command.name] = (info.name, attribute)
        assert found == {name: (entry.module, entry.function) for name, entry in COMMANDS.items()}

    def test_the_lazy_listing_is_the_eager_one(self, monkeypatch: pytest.MonkeyPatch) -> None:
        _, lazy = loaded_after(["--help"])
        for name in COMMANDS:  # load them all, so click lists the real commands
            cli.get_command(click.Context(cli), name)
        monkeypatch.setenv("COLUMNS", "80")
        with click.Context(cli, info_name="candor", **cli.context_settings) as ctx:
            eager = cli.get_help(ctx)
        assert lazy.strip() == eager.strip()

    def test_an_unknown_command_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exit_:
            main(["opne"])
        assert exit_.value.code == 2
        assert "No such command 'opne'" in capsys.readouterr().err


def test_the_entry_point_is_main() -> None:
    (script,) = entry_points(group="console_scripts", name="candor")
    assert script.load() is main


class TestStartingQuickly:
    """Cyclic collection waits while the library loads, and is back for the command."""

    @pytest.fixture(autouse=True)
    def folder(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("CANDOR_CONFIG", raising=False)
        # An empty store for `list` to read (a command that reads creates none).
        from candor.communicator import Communicator

        with Communicator(channels=[], store=tmp_path / "candor.db"):
            pass

    def test_collection_waits_while_loading_and_is_back_for_the_command(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from candor.communicator import AsyncCommunicator, Communicator

        seen: dict[str, object] = {}
        build = AsyncCommunicator.__init__
        listing = Communicator.list

        def building(self: AsyncCommunicator, *args: Any, **kwargs: Any) -> None:
            seen["while loading"] = gc.isenabled()
            build(self, *args, **kwargs)

        def listing_with_check(self: Communicator, **kwargs: Any) -> Any:
            seen["in the command"] = (gc.isenabled(), gc.get_freeze_count() > 0)
            return listing(self, **kwargs)

        monkeypatch.setattr(AsyncCommunicator, "__init__", building)
        monkeypatch.setattr(Communicator, "list", listing_with_check)
        main(["list"])
        assert seen == {"while loading": False, "in the command": (True, True)}
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
        assert "No incidents." in capsys.readouterr().out

    def test_a_command_that_fails_leaves_collection_as_it_was(self) -> None:
        with pytest.raises(SystemExit):
            main(["show", "inc-nothing"])
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0

    def test_collection_switched_off_by_the_caller_stays_off(self) -> None:
        gc.disable()
        try:
            main(["list"])
            assert not gc.isenabled()
        finally:
            gc.enable()

    def test_the_process_ends_without_collecting_what_it_still_holds(self, tmp_path: Path) -> None:
        """At exit everything alive is frozen; until then collection works as before."""
        code = (
            "import atexit, gc\n"
            # Registered first, so run last: after candor's own exit handler.
            "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
            "from candor.cli import main\n"
            "main(['list'])\n"
            "main(['list'])\n"
            "print('frozen before exit:', gc.get_freeze_count() > 0)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            cwd=tmp_path,
        )
        lines = done.stdout.splitlines()
        assert "frozen before exit: False" in lines
        assert lines[-1] == "frozen at exit: True"
