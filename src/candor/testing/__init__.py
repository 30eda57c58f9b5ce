"""Testing your incident messaging: nothing leaves the process, and time moves when you say.

Importable without pytest::

    from candor.testing import Clock, assert_posted, capture

    def test_outage_runbook(tmp_path):
        clock = Clock()
        with capture(clock=clock) as outbox:
            run_my_runbook(store=tmp_path / "candor.db")
        assert_posted(outbox, "mastodon", ["is down in eu-west"])

- :class:`MemoryAdapter` records every message (registered as adapter ``memory``);
- :func:`capture` routes every channel of every communicator made inside it to
  memory adapters and yields the :class:`Outbox`;
- :func:`assert_posted`, :func:`assert_consistent`, :func:`assert_candid`
  fail with a readable diff;
- :class:`Clock` is set and advanced by the test;
- :func:`reset` puts candor's process-wide state (adapter entry points read,
  registered secrets, plugin check rules, active captures) back as a fresh
  process has it.

For authors of adapters and stores, two suites to subclass in a pytest test
class (they need pytest, and are loaded only when asked for):

- :class:`AdapterContract`, the tests every adapter passes;
- :class:`StoreContract`, the tests every :class:`~candor.Store` passes.

Also here, imported on their own: ``candor.testing.fakes`` (stand-ins for
the services candor posts to) and the pytest plugin, which pytest loads by
itself (fixtures ``candor_outbox`` and ``candor_clock``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from candor._state import reset
    from candor.testing._capture import Capture, capture, current_outbox
    from candor.testing._clock import Clock
    from candor.testing.assertions import assert_candid, assert_consistent, assert_posted
    from candor.testing.contract import AdapterContract
    from candor.testing.memory import (
        SERVICE_CAPABILITIES,
        MemoryAdapter,
        Outbox,
        PostedMessage,
        capabilities_for,
    )
    from candor.testing.store_contract import StoreContract

__all__ = [
    "SERVICE_CAPABILITIES",
    "AdapterContract",
    "Capture",
    "Clock",
    "MemoryAdapter",
    "Outbox",
    "PostedMessage",
    "StoreContract",
    "assert_candid",
    "assert_consistent",
    "assert_posted",
    "capabilities_for",
    "capture",
    "current_outbox",
    "reset",
]

# Loaded on first use, so that the pytest plugin (a module of this package) costs
# a session that never asks for candor's fixtures next to nothing.
_LAZY = {
    "Capture": "candor.testing._capture",
    "capture": "candor.testing._capture",
    "current_outbox": "candor.testing._capture",
    "Clock": "candor.testing._clock",
    "assert_candid": "candor.testing.assertions",
    "assert_consistent": "candor.testing.assertions",
    "assert_posted": "candor.testing.assertions",
    "SERVICE_CAPABILITIES": "candor.testing.memory",
    "MemoryAdapter": "candor.testing.memory",
    "Outbox": "candor.testing.memory",
    "PostedMessage": "candor.testing.memory",
    "capabilities_for": "candor.testing.memory",
    "AdapterContract": "candor.testing.contract",
    "StoreContract": "candor.testing.store_contract",
    "reset": "candor._state",
}

_NEED_PYTEST = {"AdapterContract", "StoreContract"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'candor.testing' has no attribute {name!r}")
    try:
        loaded = import_module(module)
    except ImportError as exc:
        if name in _NEED_PYTEST and exc.name == "pytest":
            raise ImportError(
                f"candor.testing.{name} is a pytest suite: install pytest to use it",
                name="pytest",
            ) from exc
        raise
    value = getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
