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

__all__ = ["get_logger", "redact"]

_SECRET_WORDS = ("token", "secret", "password", "api_key", "authorization")


def redact(_: object, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor that masks the value of any key that names a secret."""
    for key in list(event):
        if any(word in key.lower() for word in _SECRET_WORDS):
            event[key] = "**********"
    return event


class _Logger:
    """A logger that picks structlog's configuration or the stdlib logger at each call."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._fallback: Any = None

    def _target(self) -> Any:
        if structlog.is_configured():
            return structlog.get_logger(self.name)
        if self._fallback is None:
            self._fallback = structlog.wrap_logger(
                logging.getLogger(self.name),
                processors=[redact, structlog.processors.KeyValueRenderer(key_order=["event"])],
                wrapper_class=structlog.stdlib.BoundLogger,
            )
        return self._fallback

    def debug(self, event: str, **values: Any) -> None:
        self._target().debug(event, **values)

    def info(self, event: str, **values: Any) -> None:
        self._target().info(event, **values)

    def warning(self, event: str, **values: Any) -> None:
        self._target().warning(event, **values)

    def error(self, event: str, **values: Any) -> None:
        self._target().error(event, **values)


def get_logger(name: str = "candor") -> _Logger:
    """candor's logger for ``name``; see the module docstring for where events go."""
    return _Logger(name)
