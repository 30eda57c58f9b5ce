"""candor's events are quiet by default, follow structlog when configured, and hide secrets."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

from candor.log import get_logger, redact


@pytest.fixture(autouse=True)
def unconfigured() -> Iterator[None]:
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


def test_without_configuration_events_go_to_the_stdlib_logger(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with caplog.at_level(logging.INFO, logger="candor.test"):
        get_logger("candor.test").info("update_delivered", channel="status", seq=2)
    assert capsys.readouterr().out == ""
    (record,) = caplog.records
    assert record.name == "candor.test"
    assert "event='update_delivered'" in record.getMessage()
    assert "channel='status'" in record.getMessage()


def test_secrets_never_reach_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="candor.test"):
        get_logger("candor.test").warning("oops", access_token="abc123", api_key="k")
    assert "abc123" not in caplog.text
    assert "**********" in caplog.text
    assert redact(None, "info", {"password": "p", "channel": "x"}) == {
        "password": "**********",
        "channel": "x",
    }


def test_with_structlog_configured_events_follow_that_configuration() -> None:
    with structlog.testing.capture_logs() as logs:
        get_logger("candor.test").info("update_recorded", seq=1)
    assert logs == [{"event": "update_recorded", "seq": 1, "log_level": "info"}]


def test_registered_secrets_are_scrubbed_from_httpx_log_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """httpx logs each request's full URL at INFO; a webhook URL is a credential."""
    from candor.log import register_secret
    from candor.testing import reset

    reset()  # only this secret registered: an earlier test's (a host name) would mask more
    register_secret("/hooks/T0001/B0001/canary-s3cret")
    with caplog.at_level(logging.INFO, logger="httpx"):
        logging.getLogger("httpx").info(
            'HTTP Request: POST %s "%s"', "https://hooks.example/hooks/T0001/B0001/canary-s3cret",
            "HTTP/1.1 200 OK",
        )  # fmt: skip
    assert "canary-s3cret" not in caplog.text
    assert "https://hooks.example**********" in caplog.text


def test_a_secret_registered_after_logging_began_is_scrubbed_too() -> None:
    """The secrets are found by their beginnings in one index, kept as each is registered."""
    from candor.log import redact_registered, register_secret

    register_secret("first-canary-9f3a")
    assert redact_registered(None, "info", {"url": "x first-canary-9f3a"}) == {
        "url": "x **********"
    }
    register_secret("second-canary-9f3a")
    register_secret("second-canary-9f3a/longer")
    event = {"url": "second-canary-9f3a/longer and first-canary-9f3a", "seq": 2}
    assert redact_registered(None, "info", event) == {
        "url": "********** and **********",
        "seq": 2,
    }
