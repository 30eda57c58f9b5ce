"""candor's process-wide state lives in one place, and candor.testing.reset() puts it back."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
import structlog

import candor
from candor import _state
from candor.adapters import registry
from candor.log import get_logger, register_secret
from candor.testing import MemoryAdapter, capture, current_outbox, reset


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    reset()
    yield
    reset()


class TestReset:
    def test_it_forgets_the_adapter_entry_points_read(self) -> None:
        registry.available()
        points = _state.state.adapter_entry_points
        assert points is not None
        points["carrier_pigeon"] = EntryPoint(
            name="carrier_pigeon", value="nowhere:Pigeon", group=registry.GROUP
        )
        assert "carrier_pigeon" in registry.available()
        reset()
        assert _state.state.adapter_entry_points is None
        assert "carrier_pigeon" not in registry.available()
        assert "console" in registry.available()

    def test_it_forgets_registered_secrets(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.INFO, logger="candor.state-test")
        log = get_logger("candor.state-test")
        register_secret("hunter2-hunter2")
        log.info("said", detail="the token is hunter2-hunter2")
        reset()
        log.info("said", detail="the token is hunter2-hunter2")
        first, second = (record.getMessage() for record in caplog.records)
        assert "hunter2" not in first
        assert "hunter2-hunter2" in second

    def test_it_ends_the_captures_in_this_context(self, tmp_path: Path) -> None:
        channels = [candor.Channel(name="page", adapter="console")]
        with capture():
            reset()
            with pytest.raises(LookupError):
                current_outbox()
            with candor.Communicator(channels, store=tmp_path / "c.db", base_dir=tmp_path) as c:
                assert not isinstance(c.adapters["page"], MemoryAdapter)

    def test_it_undoes_the_logging_of_candors_cli(self) -> None:
        from candor.cli._shared import configure_logging

        candor_logger = logging.getLogger("candor")
        before = list(candor_logger.handlers)
        configure_logging(2)
        assert candor_logger.level == logging.DEBUG
        assert len(candor_logger.handlers) == len(before) + 1
        configure_logging(0)  # once more: still one handler, the level as asked
        assert candor_logger.level == logging.WARNING
        assert len(candor_logger.handlers) == len(before) + 1
        reset()
        assert candor_logger.level == logging.NOTSET
        assert candor_logger.handlers == before

    def test_it_leaves_an_applications_structlog_configuration_alone(self) -> None:
        structlog.configure(processors=[structlog.processors.JSONRenderer()])
        try:
            reset()
            assert structlog.is_configured()
        finally:
            structlog.reset_defaults()

    def test_it_calls_the_reset_of_the_check_rules(self) -> None:
        calls: list[str] = []
        kept = _state.state.check_rules_reset
        _state.state.check_rules_reset = lambda: calls.append("reset")
        try:
            reset()
            reset()
        finally:
            _state.state.check_rules_reset = kept
        assert calls == ["reset", "reset"]

    def test_candor_testing_exports_it(self) -> None:
        assert candor.testing.reset is _state.reset
