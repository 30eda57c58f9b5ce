"""Helpers for the fakes' tests: a synchronous client answered by a fake."""

from __future__ import annotations

import httpx
import pytest

from candor.testing import Clock
from candor.testing.fakes import FakeService


def client_for(fake: FakeService) -> httpx.Client:
    return httpx.Client(transport=fake.transport(), base_url=fake.base_url)


def needs_spec(fake: FakeService) -> None:
    if not fake.spec.enabled:
        pytest.skip(fake.spec.reason)


@pytest.fixture
def clock() -> Clock:
    return Clock()
