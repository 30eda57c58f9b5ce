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
- :class:`Clock` is set and advanced by the test.

Also here, imported on their own: ``candor.testing.fakes`` (stand-ins for
the services candor posts to), ``candor.testing.contract`` (``AdapterContract``,
the suite every adapter passes; needs pytest) and the pytest plugin, which
pytest loads by itself (fixtures ``candor_outbox`` and ``candor_clock``).
"""

from __future__ import annotations

from candor.testing._capture import Capture, capture, current_outbox
from candor.testing._clock import Clock
from candor.testing.assertions import assert_candid, assert_consistent, assert_posted
from candor.testing.memory import (
    SERVICE_CAPABILITIES,
    MemoryAdapter,
    Outbox,
    PostedMessage,
    capabilities_for,
)

__all__ = [
    "SERVICE_CAPABILITIES",
    "Capture",
    "Clock",
    "MemoryAdapter",
    "Outbox",
    "PostedMessage",
    "assert_candid",
    "assert_consistent",
    "assert_posted",
    "capabilities_for",
    "capture",
    "current_outbox",
]
