"""How candor says a span of time: never "0 minutes", never thousands of minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from candor.model import describe_duration


@pytest.mark.parametrize(
    ("delta", "said"),
    [
        (timedelta(seconds=0), "under a minute"),
        (timedelta(seconds=59), "under a minute"),
        (timedelta(seconds=90), "1 minute"),
        (timedelta(minutes=2), "2 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=1, minutes=44, seconds=30), "1 hour 44 minutes"),
        (timedelta(minutes=2630), "1 day 19 hours"),
        (timedelta(days=2), "2 days"),
        (timedelta(days=2, hours=1, minutes=5), "2 days 1 hour"),
        (timedelta(minutes=-5), "5 minutes"),
    ],
)
def test_a_span_is_said_as_people_say_it(delta: timedelta, said: str) -> None:
    assert describe_duration(delta) == said
