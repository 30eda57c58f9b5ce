"""The exceptions candor raises.

Every one derives from :class:`CandorError`, and where a built-in fits it is a
base too, so ``except ValueError`` keeps working in code that predates candor::

    CandorError
    ├── InputError(ValueError)           bad input: .field, .value
    │   ├── TransitionError              illegal lifecycle move: .from_status, .to_status
    │   ├── PolicyError                  input the policy refuses (an understated impact)
    │   └── AmbiguousIncident            a title (or --latest) fits several incidents: .candidates
    ├── IncidentNotFound(LookupError)    .incident_id, .candidates
    ├── ConflictError                    another writer changed the incident: .incident_id,
    │                                    .expected_version, .actual_version
    ├── ConfigError(ValueError)          candor.toml: .path, .channel, .key
    ├── TemplateError                    .template, .variable
    ├── CheckError                       candor checks blocked a message: .findings
    ├── AdapterError                     an adapter is unknown or broken: .adapter
    ├── DeliveryError                    a channel refused or failed: .channel, .status_code,
    │                                    .retryable, .retry_after, .maybe_delivered
    ├── SignatureError(ValueError)       a webhook request's signature or timestamp is wrong
    ├── PromiseError                     a promise stands in the way (closing with the
    │                                    write-up owed, resolving an untold incident): .incident_id
    └── StoreError                       the store cannot be used (schema too new, corrupt)

Errors carry their context as attributes; their message is one line a person
can act on, naming the thing that is wrong, and never longer than about 900
characters however long the input it quotes.
"""

from __future__ import annotations

from typing import Any

from candor._state import masked

__all__ = [
    "AdapterError",
    "AmbiguousIncident",
    "CandorError",
    "CheckError",
    "ConfigError",
    "ConflictError",
    "DeliveryError",
    "IncidentNotFound",
    "InputError",
    "PolicyError",
    "PromiseError",
    "SignatureError",
    "StoreError",
    "TemplateError",
    "TransitionError",
]


class CandorError(Exception):
    """Base of every error candor raises.

    Its message is at most about 900 characters, whatever text went into it (a
    name, a key, a service's answer): longer ones are cut, saying how long they
    were. The attributes keep everything.
    """

    def __str__(self) -> str:
        return _bounded(super().__str__(), _LONGEST)


class InputError(CandorError, ValueError):
    """A value given to candor is not acceptable; ``field`` names where, ``value`` what.

    The message quotes at most a short head of the value (and of the field's
    name), so a megabyte of input never makes a megabyte of error.
    """

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{_bounded(str(field))}={_bounded(_quoted(value))}: {_bounded(reason)}")


_SHOWN = 200


def _quoted(value: Any) -> str:
    """``repr(value)``, from a head of the value when it is long text or bytes."""
    if isinstance(value, str | bytes) and len(value) > _SHOWN:
        return f"{value[:_SHOWN]!r}… ({len(value):,} long)"
    try:
        return repr(value)
    except Exception:  # a hostile __repr__ must not replace the error it is quoted in
        return f"<{type(value).__name__}>"


_LONGEST = 900


def _bounded(text: str, most: int = 2 * _SHOWN) -> str:
    return text if len(text) <= most else f"{text[:most]}… ({len(text):,} long)"


class TransitionError(InputError):
    """An incident cannot move from ``from_status`` to ``to_status``."""

    def __init__(self, from_status: str, to_status: str, reason: str) -> None:
        self.from_status = from_status
        self.to_status = to_status
        super().__init__(
            "status", to_status, f"cannot go from {from_status} to {to_status}: {reason}"
        )
        self.args = (f"cannot go from {from_status} to {to_status}: {reason}",)

    def __str__(self) -> str:
        return _bounded(str(self.args[0]), _LONGEST)


class PolicyError(InputError):
    """The input is well formed but the policy forbids it (for example an understated impact)."""


class IncidentNotFound(CandorError, LookupError):
    """No incident has the id ``incident_id`` (nor, where titles are looked up, that title).

    ``candidates`` are the incidents one may have meant, as ``"id (title)"``: the
    message lists them.
    """

    def __init__(
        self, incident_id: str, candidates: tuple[str, ...] = (), *, by_title: bool = False
    ) -> None:
        self.incident_id = incident_id
        self.candidates = candidates
        what = "id or title" if by_title else "id"
        text = f"no incident with {what} {_bounded(_quoted(incident_id))}"
        if by_title:
            text += "; open incidents: " + ("; ".join(candidates) if candidates else "none")
        super().__init__(text)

    def __str__(self) -> str:  # LookupError would otherwise quote the message again
        return _bounded(str(self.args[0]), _LONGEST)


class AmbiguousIncident(InputError):
    """``reference`` names more than one incident; ``candidates`` lists them as "id (title)"."""

    def __init__(self, reference: str, reason: str, candidates: tuple[str, ...]) -> None:
        super().__init__("incident", reference, reason)
        self.candidates = candidates
        self.args = (f"{self.args[0]}: {'; '.join(candidates)}",)


class ConflictError(CandorError):
    """Another writer changed the incident between our read and our write; nothing was written."""

    def __init__(self, incident_id: str, expected_version: int, actual_version: int) -> None:
        self.incident_id = incident_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(
            f"incident {incident_id} was changed by another writer "
            f"(now at version {actual_version}, this change was made against version "
            f"{expected_version}); nothing was written: reload it and decide again"
        )


class ConfigError(CandorError, ValueError):
    """The configuration is wrong; ``path``, ``channel`` and ``key`` say where."""

    def __init__(
        self,
        reason: str,
        *,
        path: str | None = None,
        channel: str | None = None,
        key: str | None = None,
    ) -> None:
        self.path = path
        self.channel = channel
        self.key = key
        self.reason = reason
        where = [part for part in (path, f"channel {channel!r}" if channel else None) if part]
        if key:
            where.append(f"key {key!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {reason}" if prefix else reason)


class TemplateError(CandorError):
    """A template failed to render; ``template`` names it, ``variable`` the missing name if any.

    ``line`` is the template's line where it failed, when that is known.
    """

    def __init__(
        self, template: str, reason: str, *, variable: str | None = None, line: int | None = None
    ) -> None:
        self.template = template
        self.variable = variable
        self.line = line
        where = f" on line {line}" if line is not None else ""
        super().__init__(f"template {template!r}{where}: {reason}")


class CheckError(CandorError):
    """Candor checks found errors in a message, so nothing was stored or sent.

    ``findings`` lists ``(channel, finding)`` pairs. Pass ``allow=[codes]`` with a
    ``reason`` to let them through; the override is recorded on the timeline.
    """

    def __init__(self, findings: list[tuple[str, Any]]) -> None:
        self.findings = findings
        codes = sorted({finding.code for _, finding in findings})
        first_channel, first = findings[0]
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        super().__init__(
            f"blocked by candor checks: {first_channel}: {first.code}: {first.message}{more}; "
            f"fix the text, or pass allow={codes!r} with a reason to send it anyway"
        )

    @property
    def codes(self) -> list[str]:
        return sorted({finding.code for _, finding in self.findings})


class AdapterError(CandorError):
    """An adapter is unknown, cannot be loaded, or is not an adapter."""

    def __init__(self, adapter: str, reason: str) -> None:
        self.adapter = adapter
        super().__init__(f"adapter {adapter!r}: {reason}")


class DeliveryError(CandorError):
    """A channel did not take a message; ``channel`` names it, ``status_code`` the HTTP status.

    ``retryable`` False means trying again cannot help (bad credentials, a
    message the service refuses): the row fails for good. ``retry_after`` is
    how many seconds the service asked us to wait (429, 503). ``maybe_delivered``
    says whether the service may have acted on the request although we got no
    success back (a read timeout, a 5xx): such a failure is retried at once only
    where the service deduplicates by idempotency key. When not given it is
    True for a 5xx or an unknown status and False for any other status.

    Every registered secret (``candor.log.register_secret``: every secret
    setting of every channel, in every form) is masked in ``reason``, whoever
    made the error: an adapter of candor's, a plugin, a service's answer quoted.
    """

    def __init__(
        self,
        channel: str,
        reason: str,
        *,
        status_code: int | None = None,
        retryable: bool = True,
        retry_after: float | None = None,
        maybe_delivered: bool | None = None,
    ) -> None:
        self.channel = channel
        self.status_code = status_code
        self.retryable = retryable
        self.retry_after = retry_after
        if maybe_delivered is None:
            maybe_delivered = status_code is None or status_code >= 500
        self.maybe_delivered = maybe_delivered
        self.reason = reason = masked(reason)
        super().__init__(f"channel {channel!r}: {reason}")


class SignatureError(CandorError, ValueError):
    """A signed webhook request did not verify: a wrong signature, or a stale timestamp."""


class PromiseError(CandorError):
    """A promise to customers stands in the way of what was asked; ``incident_id`` names it."""

    def __init__(self, incident_id: str, reason: str) -> None:
        self.incident_id = incident_id
        self.reason = reason
        super().__init__(f"{incident_id}: {reason}")


class StoreError(CandorError):
    """The store cannot be used as it is."""
