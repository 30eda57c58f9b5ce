"""Local stand-ins for the services candor posts to, each enforcing its documented contract.

Every fake is an ``httpx.MockTransport`` handler (``fake.transport()``,
``fake.client()``) and can be served on 127.0.0.1 with :func:`serve` for a
test that needs a socket. Each checks authentication, required fields and
length limits as the service counts them, answers 429 with ``Retry-After``
over its rate limit, honours idempotency where the service has it, records
the mentions that would have notified everyone (``fake.pings``) and, where a
published API description is available, refuses requests it rejects
(``fake.spec_violations``). Faults on demand: ``fail_next``,
``timeout_next`` (the work is done but the client times out) and
``drop_next``.
"""

from __future__ import annotations

from candor.testing.fakes._base import FakeService, Ping, Reply, Request, serve
from candor.testing.fakes._spec import SpecStatus, find_specs
from candor.testing.fakes.bluesky import FakeBluesky
from candor.testing.fakes.cachet import FakeCachet
from candor.testing.fakes.discord import FakeDiscord
from candor.testing.fakes.instatus import FakeInstatus
from candor.testing.fakes.mastodon import FakeMastodon
from candor.testing.fakes.slack import FakeSlack
from candor.testing.fakes.statuspage import FakeStatuspage
from candor.testing.fakes.webhook import FakeWebhook, sign
from candor.testing.fakes.x import FakeX

__all__ = [
    "FakeBluesky",
    "FakeCachet",
    "FakeDiscord",
    "FakeInstatus",
    "FakeMastodon",
    "FakeService",
    "FakeSlack",
    "FakeStatuspage",
    "FakeWebhook",
    "FakeX",
    "Ping",
    "Reply",
    "Request",
    "SpecStatus",
    "find_specs",
    "serve",
    "sign",
]
