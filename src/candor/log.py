"""Logging: structlog events that stay quiet until an application asks to hear them.

candor never calls ``structlog.configure()``. When the application has
configured structlog, candor's events go through that configuration. When it
has not, they go to the standard library logger ``candor`` as ``key=value``
lines, so a plain script shows warnings (a failed delivery) on standard error,
as ``logging`` does by default, and not every routine event on standard output.
The CLI sets that logger's level and handler for its ``-v`` flags.

structlog is never imported here: importing it also loads its development
console support (and rich, where rich is installed), a large share of a fresh
``candor`` process. A structlog that nobody imported is one nobody configured,
so candor asks ``sys.modules`` and renders its own ``key=value`` lines.

Secrets are ``pydantic.SecretStr`` everywhere in candor, which prints as
``**********``; :func:`redact` also masks any key that names a secret, in case
one is ever passed by mistake.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from candor._state import SHORTEST, masked, state

__all__ = ["get_logger", "log_to_stderr", "redact", "register_secret", "render"]

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


def _configured_structlog() -> Any:
    """structlog, when the application imported and configured it; None otherwise."""
    module = sys.modules.get("structlog")
    if module is not None and module.is_configured():
        return module
    return None


def render(event: str, values: dict[str, Any]) -> str:
    """``event='...' key=...``, each value's repr, secrets masked: the stdlib logger's line."""
    fields: MutableMapping[str, Any] = {"event": event, **values}
    fields = redact_registered(None, "", redact(None, "", fields))
    return " ".join(f"{key}={value!r}" for key, value in fields.items())


class _Logger:
    """A logger that picks structlog's configuration or the stdlib logger at each call."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._stdlib = logging.getLogger(name)

    def _log(self, level: int, method: str, event: str, values: dict[str, Any]) -> None:
        configured = _configured_structlog()
        if configured is not None:
            getattr(configured.get_logger(self.name), method)(event, **values)
        elif self._stdlib.isEnabledFor(level):
            # Checked first: rendering and redaction cost more than the event, and a
            # fan-out logs one per attempt that nobody may be listening to.
            self._stdlib.log(level, render(event, values), stacklevel=3)

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


class _StandardError(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes each record to the ``sys.stderr`` of its moment (a redirect, a test's capture)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass  # always the current sys.stderr


class _Lines(logging.Formatter):
    """``2026-05-04T12:00:00.000Z [warning ] event='...' key=...``: UTC time, level, event."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        return (
            f"{moment.replace('+00:00', 'Z')} [{record.levelname.lower():<8}] {record.getMessage()}"
        )


def log_to_stderr(level: int) -> None:
    """Print candor's events at ``level`` and above on standard error (the CLI's ``-v`` flags).

    For a process of its own, as the CLI is; ``candor.testing.reset()`` undoes it.
    """
    logger = logging.getLogger("candor")
    if state.log_handler is None:
        state.log_handler = _StandardError()
        state.log_handler.setFormatter(_Lines())
        logger.addHandler(state.log_handler)
    logger.setLevel(level)
