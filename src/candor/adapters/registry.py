"""Finding adapters by name through the ``candor.adapters`` entry-point group.

Entry points are read on first use, never at ``import candor``. A plugin that
fails to load raises an AdapterError naming its entry point; it is never
skipped silently.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, cast

from candor._state import state
from candor.errors import AdapterError

if TYPE_CHECKING:
    from candor.typing import AdapterInit

__all__ = ["GROUP", "available", "built_in", "load"]

GROUP = "candor.adapters"


def _entry_points() -> dict[str, EntryPoint]:
    """The group's entry points by name, read once (``candor.testing.reset`` forgets them)."""
    points = state.adapter_entry_points
    if points is None:
        points = {ep.name: ep for ep in entry_points(group=GROUP)}
        state.adapter_entry_points = points
    return points


def available() -> list[str]:
    """The names of every adapter installed, candor's own and third parties'."""
    return sorted(_entry_points())


def built_in() -> list[str]:
    """The names of candor's own adapters (those this package registers), sorted."""
    return sorted(name for name, point in _entry_points().items() if point.value.startswith(_OWN))


_OWN = "candor.adapters."


def load(name: str) -> AdapterInit:
    """The adapter class registered as ``name``."""
    points = _entry_points()
    if name not in points:
        known = ", ".join(sorted(points)) or "none (is candor installed?)"
        raise AdapterError(name, f"no adapter by that name; installed: {known}")
    point = points[name]
    try:
        loaded = point.load()
    except Exception as exc:
        raise AdapterError(
            name, f"entry point {point.name} = {point.value} failed to load: {exc!r}"
        ) from exc
    if not callable(loaded) or not hasattr(loaded, "post"):
        raise AdapterError(
            name, f"entry point {point.name} = {point.value} is not an adapter class"
        )
    return cast("AdapterInit", loaded)
