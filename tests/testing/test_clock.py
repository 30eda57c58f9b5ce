"""The test clock moves only when told to."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from candor.testing import Clock


class TestClock:
    def test_starts_at_a_fixed_aware_time_and_reads_by_calling(self) -> None:
        clock = Clock()
        assert clock() == clock.now == datetime(2026, 11, 22, 14, 0, tzinfo=UTC)

    def test_advance_by_parts_or_by_a_timedelta(self) -> None:
        clock = Clock()
        clock.advance(minutes=30)
        assert clock.advance(timedelta(seconds=90)) == datetime(
            2026, 11, 22, 14, 31, 30, tzinfo=UTC
        )

    def test_does_not_go_backwards_by_advance_but_set_may(self) -> None:
        clock = Clock()
        with pytest.raises(ValueError, match="forward"):
            clock.advance(minutes=-1)
        clock.set(datetime(2026, 1, 1, tzinfo=UTC))
        assert clock().year == 2026
        assert clock().month == 1

    def test_refuses_a_naive_time(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            Clock(datetime(2026, 1, 1))

    def test_sleep_advances_instead_of_waiting(self) -> None:
        clock = Clock()
        asyncio.run(clock.sleep(3600))
        assert clock() == datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
