"""Logging: structlog events that stay quiet until an application asks to hear them.

candor never calls ``structlog.configure()`` (the CLI does, for itself). When
the application has configured structlog, candor's events go through that
configuration. When it has not, they go to the standard library logger
``candor`` as ``key=value`` lines, so a plain script shows warnings (a failed
delivery) on standard error, as ``logging`` does by default, and not every
routine event on standard output.

Secrets are ``pydantic.SecretStr`` everywhere in candor, which prints as
``**********``; :func:`redact` also masks any key that names a secret, in case
one is ever passed by mistake.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

import structlog

from candor._state import SHORTEST, masked, state

__all__ = ["get_logger", "redact", "register_secret"]

_SECRET_WORDS = ("token", "secret", "password", "api_key", "authorization")


def redact(_: object, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor that masks the value of any key that names a secret."""
    for key in list(event):
        if any(word in key.lower() for word in _SECRET_WORDS):
            event[key] = "**********"
    return event


_SCRUBBED_LOGGERS = (
    "httpx",
    "httpcore",
    # oauthlib logs the OAuth 1.0a parameters it signs (the x adapter's keys) at DEBUG.
    "oauthlib",
    "oauthlib.oauth1.rfc5849",
    "oauthlib.oauth1.rfc5849.signature",
)


class _ScrubSecrets(logging.Filter):
    """Replaces registered secrets in records of the HTTP libraries candor drives.

    httpx logs every request's full URL at INFO; a webhook URL (Slack's, Discord's,
    candor's own) is itself a credential, so it must not reach a log line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if state.secret_index:
            message = record.getMessage()
            scrubbed = masked(message)
            if scrubbed != message:
                record.msg, record.args = scrubbed, ()
        return True


_FILTER = _ScrubSecrets()


def register_secret(value: str | None) -> None:
    """Never let ``value`` (a token, a webhook URL) through candor's or httpx's log lines."""
    if not value or len(value) < SHORTEST:  # too short to be a credential; would mangle logs
        return
    state.add_secret(value)
    if _FILTER in logging.getLogger(_SCRUBBED_LOGGERS[-1]).filters:
        return  # added to all of them already (the last is added last)
    for name in _SCRUBBED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def redact_registered(
    _: object, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor that replaces registered secrets in every string value."""
    if state.secret_index:
        for key, value in event.items():
            if isinstance(value, str):
                event[key] = masked(value)
    return event


class _Logger:
    """A logger that picks structlog's configuration or the stdlib logger at each call."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._stdlib = logging.getLogger(name)
        self._fallback: Any = None

    def _target(self, level: int) -> Any:
        """Where an event at ``level`` goes; None when nobody would see it."""
        if structlog.is_configured():
            return structlog.get_logger(self.name)
        if not self._stdlib.isEnabledFor(level):
            # Checked first: the processors below (redaction, rendering) cost more than
            # the event, and a fan-out logs one per attempt that nobody may be listening to.
            return None
        if self._fallback is None:
            self._fallback = structlog.wrap_logger(
                self._stdlib,
                processors=[
                    redact,
                    redact_registered,
                    structlog.processors.KeyValueRenderer(key_order=["event"]),
                ],
                wrapper_class=structlog.stdlib.BoundLogger,
            )
        return self._fallback

    def _log(self, level: int, method: str, event: str, values: dict[str, Any]) -> None:
        target = self._target(level)
        if target is not None:
            getattr(target, method)(event, **values)

    def debug(self, event: str, **values: Any) -> None:
        self._log(logging.DEBUG, "debug", event, values)

    def info(self, event: str, **values: Any) -> None:
        self._log(logging.INFO, "info", event, values)

    def warning(self, event: str, **values: Any) -> None:
        self._log(logging.WARNING, "warning", event, values)

    def error(self, event: str, **values: Any) -> None:
        self._log(logging.ERROR, "error", event, values)


def get_logger(name: str = "candor") -> _Logger:
    """candor's logger for ``name``; see the module docstring for where events go."""
    return _Logger(name)
