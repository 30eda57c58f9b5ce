"""``webhook``: POSTs every update as signed JSON to a URL of your choosing.

Credentials: a shared secret that you make and give to both ends, for example
``python -c "import secrets; print(secrets.token_hex(32))"``, set in the
environment and named in ``candor.toml`` as ``secret = "${CANDOR_WEBHOOK_SECRET}"``.
The URL is treated as a secret too (many services put a token in it): neither it
nor any piece of it (host, path, query, ``user:password@`` and the Basic-auth
header made from it) appears in a log line, an error, an output or the store.

Each request carries the JSON body described in ``docs/webhook.md`` and the
headers ``X-Candor-Timestamp`` (Unix seconds), ``X-Candor-Signature``
(``sha256=`` and the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under the
secret) and ``Idempotency-Key`` (the same for an update on this channel on every
retry and after a restart). A receiver checks a request with
:func:`verify_signature` and deduplicates by ``Idempotency-Key``; with both,
each update arrives exactly once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from candor._version import __version__
from candor.adapters import (
    Capabilities,
    Channel,
    Form,
    Receipt,
    ServiceAdapter,
    secret_http_url,
    send,
)
from candor.errors import SignatureError

if TYPE_CHECKING:
    import httpx

    from candor.adapters import DeliveryContext, Message

__all__ = ["BODY_VERSION", "WebhookAdapter", "WebhookSettings", "sign", "verify_signature"]

BODY_VERSION = 1
"""The version of the JSON body; a change that breaks receivers raises it."""

GUARANTEE = (
    "exactly once where the receiver deduplicates by Idempotency-Key (docs/webhook.md); "
    "otherwise at most one extra request per crash or timeout while a request was in flight"
)


class WebhookSettings(BaseModel):
    """The settings of a ``webhook`` channel in ``candor.toml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: SecretStr
    secret: SecretStr = Field(min_length=16)
    timeout: float = Field(default=10.0, gt=0)
    headers: Mapping[str, SecretStr] = Field(default_factory=dict)
    """Extra headers, such as the receiver's own ``Authorization``; each value is a secret."""
    form: Form = Form.LONG
    rate_limit: float | None = Field(default=None, gt=0)
    burst: int | None = Field(default=None, ge=1)
    receiver_deduplicates: bool = True
    """Whether the receiver drops a repeated Idempotency-Key (docs/webhook.md asks it to).

    When False, a request that may have arrived (a read timeout, a 5xx) is not
    retried at once: it goes back to the outbox, and its next attempt is the only
    possible duplicate.
    """

    _url = field_validator("url")(secret_http_url)  # its error never quotes it

    @field_validator("headers")
    @classmethod
    def _no_reserved_headers(cls, value: Mapping[str, SecretStr]) -> Mapping[str, SecretStr]:
        reserved = {"content-type", "idempotency-key", "x-candor-signature", "x-candor-timestamp"}
        for name in value:
            if name.lower() in reserved:
                raise ValueError(f"header {name!r} is set by candor and cannot be overridden")
        return dict(value)


def sign(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Candor-Signature`` value for ``body`` sent at ``timestamp``: ``sha256=<hex>``."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str | bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    tolerance: float = 300,
    *,
    now: float | None = None,
) -> None:
    """Check a request candor signed; raise :class:`~candor.errors.SignatureError` if it fails.

    ``timestamp`` and ``signature`` are the ``X-Candor-Timestamp`` and
    ``X-Candor-Signature`` headers, ``body`` the raw request body (as bytes, before
    any JSON parsing). A timestamp more than ``tolerance`` seconds from ``now``
    (the current time) is refused, so that a captured request cannot be replayed
    later. The comparison takes constant time.
    """
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        raise SignatureError("X-Candor-Timestamp is not a whole number of seconds") from None
    moment = time.time() if now is None else now
    if abs(moment - sent_at) > tolerance:
        raise SignatureError(
            f"X-Candor-Timestamp is {moment - sent_at:.0f} s from now, "
            f"beyond the tolerance of {tolerance:g} s"
        )
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureError("X-Candor-Signature does not match the body and the secret")


class WebhookAdapter(ServiceAdapter[WebhookSettings]):
    """Posts each update as signed JSON; see the module docstring and docs/webhook.md."""

    settings_model = WebhookSettings
    capabilities = Capabilities(form=Form.LONG, idempotency=True, guarantee=GUARANTEE)

    def __init__(self, channel: Channel, *, client: httpx.AsyncClient, base_dir: Path) -> None:
        super().__init__(channel, client=client, base_dir=base_dir)
        self._url: httpx.URL | None = None  # parsed on the first post, then reused

    def channel_capabilities(self) -> Capabilities:
        """As declared, with ``receiver_deduplicates`` saying whether a repeat is dropped."""
        return (
            super()
            .channel_capabilities()
            .model_copy(update={"idempotency": self.settings.receiver_deduplicates})
        )

    def body(self, message: Message, context: DeliveryContext) -> bytes:
        """The JSON body for ``message``, as sent (compact, keys in a fixed order)."""
        # Encoded member by member so that the members every channel shares are encoded
        # once per fan-out; the result is exactly json.dumps of the whole document.
        parts = [
            f'"version":{BODY_VERSION}',
            '"type":"incident.update"',
            '"idempotency_key":' + _json(context.idempotency_key),
            '"channel":' + _json(context.channel),
            '"attempt":' + _json(context.attempt),
            '"sent_at":' + _json(context.now.isoformat()),
            _shared_fields(context),
            '"message":' + _json(message.model_dump(mode="json")),
            '"previous":'
            + _json([receipt.model_dump(mode="json") for receipt in context.previous]),
        ]
        return ("{" + ",".join(parts) + "}").encode()

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        """POST the signed body; the receiver's JSON ``id`` and ``url`` (if any) are the receipt."""
        import httpx

        body = self.body(message, context)
        # The receiver judges replays against its own clock, so the signature's time
        # is the real time of sending, not the communicator's (possibly simulated) clock.
        timestamp = str(int(time.time()))
        headers = {
            **{name: value.get_secret_value() for name, value in self.settings.headers.items()},
            "Content-Type": "application/json",
            "User-Agent": f"candor/{__version__}",
            "Idempotency-Key": context.idempotency_key,
            "X-Candor-Timestamp": timestamp,
            "X-Candor-Signature": sign(self.settings.secret.get_secret_value(), timestamp, body),
        }
        if self._url is None:
            self._url = httpx.URL(self.settings.url.get_secret_value())
        response = await send(
            self.client,
            context.channel,
            "POST",
            self._url,
            content=body,
            headers=headers,
            secrets=self.secrets,
            timeout=self.settings.timeout,
            now=context.now,
        )
        remote_id, url = _identify(response)
        remote_id = remote_id or context.idempotency_key
        root = context.previous[0].remote_id if context.previous else remote_id
        return Receipt(channel=context.channel, remote_id=remote_id, url=url, thread_root=root)


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_shared: tuple[object, object, object, str] | None = None


def _shared_fields(context: DeliveryContext) -> str:
    """The body's ``organization``, ``incident`` and ``update`` members, encoded.

    They are the same for every channel of a fan-out (each channel's context
    holds the same three objects), so they are encoded once, not once per
    channel: at 200 channels that was a tenth of the time spent sending.
    """
    global _shared
    organization, incident, update = context.organization, context.incident, context.update
    if _shared is not None:
        known_organization, known_incident, known_update, encoded = _shared
        if (
            known_organization is organization
            and known_incident is incident
            and known_update is update
        ):
            return encoded
    encoded = ",".join(
        (
            '"organization":' + _json(organization.model_dump(mode="json")),
            '"incident":'
            + _json(incident.model_dump(mode="json", exclude={"updates", "deliveries"})),
            '"update":' + _json(update.model_dump(mode="json")),
        )
    )
    _shared = (organization, incident, update, encoded)
    return encoded


def _identify(response: httpx.Response) -> tuple[str | None, str | None]:
    """The ``id`` and ``url`` a receiver may answer with (both optional)."""
    if "json" not in response.headers.get("Content-Type", ""):
        return None, None
    try:
        answer = response.json()
    except ValueError:
        return None, None
    if not isinstance(answer, dict):
        return None, None
    remote_id = answer.get("id")
    url = answer.get("url")
    return (
        str(remote_id) if isinstance(remote_id, str | int) else None,
        url if isinstance(url, str) and url.startswith(("https://", "http://")) else None,
    )
