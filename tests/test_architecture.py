"""The shape of the code, as docs/architecture.md draws it.

The import contracts in pyproject.toml are checked here as ``lint-imports`` checks them in CI,
so that the suite alone catches a breach; the other tests check what the contracts cannot say:
that every module is placed in a layer, that no import cycle exists anywhere in the module
graph (the package roots included), and that the sync door repeats the async facade's
signatures.
"""

from __future__ import annotations

import inspect
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import grimp
import pytest

import candor
import candor.adapters
from candor.communicator import AsyncCommunicator, Communicator

ROOT = Path(__file__).resolve().parents[1]


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _layered(container: str) -> set[str]:
    """The module names the layers contract of ``container`` places, optional ones included."""
    (contract,) = [
        c for c in _contracts() if c["type"] == "layers" and c["containers"] == [container]
    ]
    names = set()
    for layer in contract["layers"]:
        for part in layer.replace(":", "|").split("|"):
            names.add(part.strip().strip("()"))
    return names


def _children(package: Any) -> set[str]:
    return {info.name for info in pkgutil.iter_modules(package.__path__)}


class TestLayers:
    def test_the_import_contracts_are_kept(self) -> None:
        """The same check as ``lint-imports`` in CI, so that the suite alone catches a breach."""
        run = subprocess.run(
            [
                sys.executable,
                "-c",
                "from importlinter.cli import lint_imports_command; lint_imports_command()",
                "--no-cache",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr

    def test_every_module_of_candor_is_placed_in_a_layer(self) -> None:
        """A new module must be given a layer, or nothing stops it importing upwards."""
        unplaced = _children(candor) - _layered("candor")
        assert not unplaced, f"add these to the layers contract in pyproject.toml: {unplaced}"

    def test_every_adapter_module_is_a_service_or_part_of_the_kit(self) -> None:
        unplaced = _children(candor.adapters) - _layered("candor.adapters")
        assert not unplaced, f"add these to the adapters contract in pyproject.toml: {unplaced}"


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


class TestCycles:
    def test_no_import_cycle_anywhere_type_checking_imports_included(self) -> None:
        graph = grimp.build_graph("candor", exclude_type_checking_imports=False)
        assert _cycles(graph) == []

    def test_the_cycle_finder_finds_a_cycle(self) -> None:
        graph = grimp.ImportGraph()
        for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
            graph.add_module(module)
        graph.add_import(importer="pkg.a", imported="pkg.b")
        graph.add_import(importer="pkg.b", imported="pkg.c")
        graph.add_import(importer="pkg.c", imported="pkg.a")
        assert _cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]


def _public(cls: type) -> dict[str, Any]:
    """The public methods of ``cls``, inherited ones included."""
    return {
        name: getattr(cls, name)
        for name in dir(cls)
        if not name.startswith("_") and callable(getattr(cls, name))
    }


def _signature(function: Any) -> inspect.Signature:
    return inspect.signature(inspect.unwrap(function), eval_str=False)


_SYNC_NAME = {"aclose": "close"}


class TestSyncDoor:
    """The sync Communicator repeats each signature, so that editors and mypy see them."""

    @pytest.mark.parametrize("name", sorted(_public(AsyncCommunicator)))
    def test_each_method_has_the_async_signature(self, name: str) -> None:
        asynchronous = _public(AsyncCommunicator)[name]
        synchronous = getattr(Communicator, _SYNC_NAME.get(name, name))
        expected = _signature(asynchronous)
        actual = _signature(synchronous)
        assert actual.parameters == expected.parameters
        assert actual.return_annotation == expected.return_annotation
        if inspect.iscoroutinefunction(asynchronous):
            assert not inspect.iscoroutinefunction(synchronous)

    def test_the_constructors_take_the_same_parameters(self) -> None:
        assert _signature(Communicator.__init__) == _signature(AsyncCommunicator.__init__)

    def test_no_method_takes_keywords_it_does_not_name(self) -> None:
        """Only the methods whose arguments depend on another's forward ``**`` keywords."""
        forwarding = {"from_config", "preview"}
        for name, member in _public(Communicator).items():
            kinds = {p.kind for p in _signature(member).parameters.values()}
            if name not in forwarding:
                assert inspect.Parameter.VAR_KEYWORD not in kinds, name

    def test_every_async_method_has_a_sync_twin(self) -> None:
        wanted = {_SYNC_NAME.get(name, name) for name in _public(AsyncCommunicator)}
        assert wanted <= set(_public(Communicator))
