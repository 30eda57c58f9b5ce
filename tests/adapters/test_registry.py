"""Adapters are found through entry points, candor's own included, and a broken one is named."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint

import pytest

from candor import AdapterError, _state
from candor.adapters import registry
from candor.testing import reset


@pytest.fixture
def with_plugins() -> Iterator[dict[str, EntryPoint]]:
    """The entry points as read, to add plugins to; forgotten again afterwards."""
    registry.available()
    points = _state.state.adapter_entry_points
    assert points is not None
    yield points
    reset()


class TestRegistry:
    def test_candors_own_adapters_are_registered_through_the_entry_point_group(self) -> None:
        assert {"console", "static_site"} <= set(registry.available())
        assert registry.load("console").__name__ == "ConsoleAdapter"  # type: ignore[attr-defined]

    def test_an_unknown_adapter_lists_the_installed_ones(self) -> None:
        with pytest.raises(AdapterError, match=r"installed: .*console") as caught:
            registry.load("carrier_pigeon")
        assert caught.value.adapter == "carrier_pigeon"

    def test_a_plugin_that_fails_to_import_is_named_not_skipped(
        self, with_plugins: dict[str, EntryPoint]
    ) -> None:
        with_plugins["broken"] = EntryPoint(
            name="broken", value="no_such_module_here:Adapter", group=registry.GROUP
        )
        assert "broken" in registry.available()
        with pytest.raises(AdapterError) as caught:
            registry.load("broken")
        message = str(caught.value)
        assert "broken = no_such_module_here:Adapter" in message
        assert "ModuleNotFoundError" in message

    def test_a_plugin_that_is_not_an_adapter_is_refused(
        self, with_plugins: dict[str, EntryPoint]
    ) -> None:
        with_plugins["json"] = EntryPoint(name="json", value="json:dumps", group=registry.GROUP)
        with pytest.raises(AdapterError, match="not an adapter"):
            registry.load("json")
