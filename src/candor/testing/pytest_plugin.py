"""candor's pytest plugin: the ``candor_outbox`` and ``candor_clock`` fixtures.

pytest loads it through the ``pytest11`` entry point whenever candor is
installed. Until a test asks for one of its fixtures it does nothing but
declare its marker: importing it loads no part of candor, and a session that
does not use it runs exactly as it would without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from candor.testing import Clock, Outbox

MARKER = "candor_channels"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*names, **capabilities): the channels every candor communicator in the test "
        "has while candor_outbox is active (names such as 'status' or 'mastodon', or "
        "name=service/Capabilities)",
    )


@pytest.fixture
def candor_clock() -> Clock:
    """A :class:`candor.testing.Clock` at 2026-11-22 14:00 UTC; ``advance()`` moves it."""
    from candor.testing import Clock

    return Clock()


@pytest.fixture
def candor_outbox(request: pytest.FixtureRequest, candor_clock: Clock) -> Iterator[Outbox]:
    """A :func:`candor.testing.capture` active for the whole test, on ``candor_clock``.

    Every communicator the test (or the code it calls) creates posts to memory
    adapters recorded here; ``@pytest.mark.candor_channels(...)`` chooses the
    channels those communicators have instead of their configured ones.
    """
    from candor.testing import capture

    channels: dict[str, Any] | None = None
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        channels = {str(name): str(name) for name in marker.args}
        channels.update(marker.kwargs)
    with capture(channels=channels, clock=candor_clock) as outbox:
        yield outbox
