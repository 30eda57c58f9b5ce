"""``email``: each update mailed over SMTP, one message per recipient, one thread per incident.

Needs an SMTP server that relays for you (your provider's submission port, or a
relay on the host), and, unless it is a relay on 127.0.0.1, a user name and
password from its operator (``username``, ``password = "${SMTP_PASSWORD}"``).
``secret`` (a long random string, from the environment) signs the confirmation
and unsubscribe links of subscribers; it is needed when ``subscribers`` is on.

Recipients are the channel's fixed ``to`` and, with ``subscribers`` (the
default), every confirmed subscriber whose filter matches the incident, decided
when the update is committed (see docs/subscribers.md). Delivery hands them out
one by one from the row's recipient ledger to a pool of ``connections`` SMTP
connections, each sending many messages.

Each message is ``multipart/alternative`` (the long form as plain text, and as
autoescaped HTML), with a subject that carries the status and title, a
``Message-ID`` stable per (incident, update, recipient), and ``In-Reply-To`` and
``References`` naming the incident's first message to that recipient, so every
mail program shows one thread per incident. Subscribers' mails carry
``List-Unsubscribe`` with a signed link and ``List-Unsubscribe-Post``
(RFC 8058); every mail says ``Auto-Submitted: auto-generated`` (RFC 3834).

The server's answers are classified per recipient: a 4xx defers that recipient
(it is tried again, as the row is), a 5xx refuses it for good, in the server's
words, and it is never tried again by itself.

aiosmtplib is imported when the adapter is built, not at ``import candor``: it is
the ``candor[email]`` extra.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import ssl
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import jinja2
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from candor.adapters import (
    Capabilities,
    Channel,
    DeliveryContext,
    Form,
    Message,
    Receipt,
    ServiceAdapter,
    http_url,
    required_secret,
)
from candor.errors import ConfigError, DeliveryError, InputError
from candor.log import get_logger
from candor.model import Organization
from candor.vocabulary import (
    RecipientOutcome,
    RecipientState,
    Subscriber,
    email_address,
)

if TYPE_CHECKING:
    import aiosmtplib
    import httpx

    from candor.typing import Addressees, RecipientLedger

__all__ = ["EmailAdapter", "EmailSettings", "message_id"]

log = get_logger("candor.adapters.email")

_NAMESPACE = uuid.UUID("b3f4c7a2-9d51-4e0f-8a66-2c1d7e9b5a30")
_CONFIRM_FOR = 7 * 86400
"""How long a confirmation link works, in seconds."""
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class EmailSettings(BaseModel):
    """The settings of an ``email`` channel (``[[channels]]`` with ``adapter = "email"``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    """Default: 465 for ``tls``, 587 for ``starttls``, 25 for ``none``."""
    security: Literal["tls", "starttls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str = Field(alias="from")
    to: tuple[str, ...] = ()
    subscribers: bool = True
    secret: SecretStr | None = None
    """Signs the confirmation and unsubscribe links; needed when ``subscribers`` is on."""
    unsubscribe_url: str | None = None
    """Where an unsubscribe link points (``?token=`` is added); default the status page's
    ``/unsubscribe``."""
    confirm_url: str | None = None
    """Where a confirmation link points; default the status page's ``/subscribe/confirm``."""
    connections: int = Field(default=4, ge=1, le=64)
    timeout: float = Field(default=30.0, gt=0, le=600)
    ca_file: str | None = None
    """Certificates to trust besides the system's (a relay with a private CA)."""
    rate_limit: float | None = Field(default=None, gt=0)
    """Messages per second over all connections (your provider's sending limit)."""
    burst: int | None = Field(default=None, ge=1)
    form: Form = Form.LONG

    _check_password = field_validator("password", "secret")(required_secret)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if any(ch in value for ch in ",;\r\n"):
            raise ValueError("must be one sender, such as Acme Status <status@acme.example>")
        name, address = parseaddr(value)
        try:
            address = email_address(address, "from")
        except InputError as exc:
            raise ValueError(f"{exc.reason}, or Name <address>") from None
        if any(ch in name for ch in "\r\n"):
            raise ValueError("the name must be on one line")
        return formataddr((name, address)) if name else address

    @field_validator("to", mode="before")
    @classmethod
    def _to(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError('give a list of addresses, such as ["oncall@example.org"]')
        if isinstance(value, list | tuple):
            try:
                return tuple(dict.fromkeys(email_address(v, "to") for v in value))
            except InputError as exc:
                raise ValueError(f"{exc.value!r}: {exc.reason}") from None
        return value

    @field_validator("unsubscribe_url", "confirm_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else http_url(value)

    @model_validator(mode="after")
    def _coherent(self) -> EmailSettings:
        if self.security == "none" and not _loopback(self.host):
            raise ValueError(
                'security = "none" sends passwords and mail in the clear: only for a relay on'
                ' 127.0.0.1 (use "starttls" or "tls")'
            )
        if self.subscribers and self.secret is None:
            raise ValueError(
                "secret is needed to sign subscribers' confirmation and unsubscribe links"
                ' (secret = "${CANDOR_EMAIL_SECRET}"), or set subscribers = false'
            )
        if (self.username is None) != (self.password is None):
            raise ValueError("give both username and password, or neither")
        return self

    @property
    def address(self) -> str:
        """The sender's bare address (the envelope's MAIL FROM)."""
        return parseaddr(self.sender)[1]


def _loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def message_id(incident_id: str, update_id: str, recipient: str, domain: str) -> str:
    """The ``Message-ID`` of one update's mail to one recipient: the same on every retry."""
    key = uuid.uuid5(_NAMESPACE, f"{incident_id}\x1f{update_id}\x1f{recipient.casefold()}")
    return f"<{key}@{domain}>"


_HTML = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; max-width: 40em">
<h1 style="font-size: 1.3em">{{ subject }}</h1>
{% for paragraph in paragraphs %}<p>{% for line in paragraph %}{{ line }}{% if not loop.last %}<br>
{% endif %}{% endfor %}</p>
{% endfor %}{% if url %}<p><a href="{{ url }}">{{ url }}</a></p>
{% endif %}<p style="color: #555; font-size: 0.9em">{{ footer }}</p>
</body></html>
"""
)


def _paragraphs(text: str) -> list[list[str]]:
    blocks = [block.strip("\n") for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block.split("\n") for block in blocks if block.strip()]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class _Addressees:
    fixed_recipients: tuple[str, ...]
    include_subscribers: bool


class EmailAdapter(ServiceAdapter[EmailSettings]):
    """Mails each update to its recipients, through a pool of SMTP connections."""

    settings_model = EmailSettings
    capabilities = Capabilities(
        form=Form.LONG,
        threading=True,
        idempotency=False,
        guarantee=(
            "one mail per recipient; after a crash, at most the one message each connection"
            " had in flight goes again, with the same Message-ID"
        ),
    )

    def __init__(self, channel: Channel, *, client: httpx.AsyncClient, base_dir: Path) -> None:
        super().__init__(channel, client=client, base_dir=base_dir)
        try:
            import aiosmtplib  # the candor[email] extra; imported here so candor stays light
        except ImportError:
            raise ConfigError(
                "needs aiosmtplib: pip install 'candor[email]'", channel=channel.name, key="adapter"
            ) from None
        self._smtp = aiosmtplib
        self.fixed_recipients: tuple[str, ...] = self.settings.to
        self.include_subscribers: bool = self.settings.subscribers
        self._domain = self.settings.address.rsplit("@", 1)[1]
        self._tls: ssl.SSLContext | None = None
        if self.settings.security != "none":
            try:
                self._tls = ssl.create_default_context(cafile=self.settings.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(
                    f"cannot read the certificates: {exc}", channel=channel.name, key="ca_file"
                ) from None

    @classmethod
    def addressees(cls, channel: Channel) -> Addressees:
        """Who ``channel`` tells, read from its settings without building it.

        For a channel whose password or secret waits for its variable: the
        update's recipients are decided at commit all the same, and the mail
        goes to them once the variable is set (``candor deliver``). ConfigError
        when ``to`` itself waits for a variable or names a bad address: nobody
        can say then who was promised the update.
        """
        raw = channel.settings.get("to", ())
        waiting = isinstance(raw, str) and "${" in raw
        if isinstance(raw, list | tuple):
            waiting = any(isinstance(v, str) and "${" in v for v in raw)
        if waiting:
            raise ConfigError(
                "the fixed recipients wait for an environment variable, so nobody can say"
                " who this update is promised to: set it, or leave this channel out"
                " (--channel)",
                channel=channel.name,
                key="to",
            )
        try:
            to = EmailSettings._to(raw)
        except ValueError as exc:
            raise ConfigError(str(exc), channel=channel.name, key="to") from None
        subscribers = channel.settings.get("subscribers", True)
        if not isinstance(subscribers, bool):
            raise ConfigError("must be true or false", channel=channel.name, key="subscribers")
        return _Addressees(fixed_recipients=tuple(to), include_subscribers=subscribers)

    # -- tokens ---------------------------------------------------------------------------

    def token(self, purpose: Literal["confirm", "unsubscribe"], address: str) -> str:
        """A signed token saying ``purpose`` for ``address``, for a link in a mail."""
        secret = self._secret()
        body = _b64(f"{purpose}\x1f{address}\x1f{int(time.time())}".encode())
        mac = hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()
        return f"{body}.{_b64(mac)}"

    def read_token(self, token: str) -> tuple[str, str]:
        """``(purpose, address)`` of a token this channel signed; InputError if it is not one.

        A confirmation token works for seven days; an unsubscribe token for ever (a
        mail read years later must still let its reader leave).
        """
        secret = self._secret()
        body, _, signature = token.strip().partition(".")
        try:
            expected = hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()
            valid = hmac.compare_digest(expected, _unb64(signature))
            purpose, address, issued = _unb64(body).decode("utf-8").split("\x1f")
        except (ValueError, UnicodeError):
            valid = False
        if not valid:
            raise InputError("token", token, "is not a token this candor signed (or it was cut)")
        if purpose == "confirm" and time.time() - int(issued) > _CONFIRM_FOR:
            raise InputError("token", token, "this confirmation link expired: subscribe again")
        return purpose, address

    def _secret(self) -> bytes:
        if self.settings.secret is None:
            raise ConfigError(
                "is needed to sign links for subscribers", channel=self.channel.name, key="secret"
            )
        return self.settings.secret.get_secret_value().encode("utf-8")

    def _link(self, base: str | None, default: str, token: str, org: Organization) -> str | None:
        root = base or (
            f"{org.status_page_url.rstrip('/')}{default}" if org.status_page_url else None
        )
        if root is None:
            return None
        joiner = "&" if "?" in root else "?"
        return f"{root}{joiner}token={quote(token)}"

    # -- building messages ----------------------------------------------------------------

    def _common(self, message: Message, organization: Organization, when: datetime) -> bytes:
        """The headers and body every recipient's mail shares, as bytes ready for SMTP."""
        subject = f"[{message.status.value.capitalize()}] {message.title}"
        footer = (
            f"{organization.name} sent this automatically about an incident."
            f" Every update of it comes in this thread until it is resolved."
        )
        # The long form as it is, then the signature (RFC 3676's "-- " line): the link, and why.
        link = f"{message.url}\n" if message.url else ""
        text = f"{message.text}\n\n-- \n{link}{footer}\n"
        mail = EmailMessage(policy=SMTP_POLICY)
        mail["Subject"] = subject
        mail["From"] = self.settings.sender
        mail["Date"] = format_datetime(when)
        mail["Auto-Submitted"] = "auto-generated"
        mail["X-Auto-Response-Suppress"] = "All"
        mail.set_content(text)
        mail.add_alternative(
            _HTML.render(
                subject=subject,
                paragraphs=_paragraphs(message.text),
                url=message.url,
                footer=footer,
            ),
            subtype="html",
        )
        return mail.as_bytes()

    def _headers(
        self,
        message: Message,
        context: DeliveryContext,
        address: str,
        *,
        subscriber: bool,
    ) -> bytes:
        """The headers only this recipient's mail has: To, its ids, and unsubscribing."""
        first = context.incident.updates[0].id
        own = message_id(message.incident_id, message.update_id, address, self._domain)
        lines = [f"To: {address}", f"Message-ID: {own}"]
        if message.update_id != first:
            root = message_id(message.incident_id, first, address, self._domain)
            lines += [f"In-Reply-To: {root}", f"References: {root}"]
        if subscriber:
            link = self._link(
                self.settings.unsubscribe_url,
                "/unsubscribe",
                self.token("unsubscribe", address),
                context.organization,
            )
            mailto = f"mailto:{self.settings.address}?subject=unsubscribe"
            if link is not None:
                lines.append(f"List-Unsubscribe: <{link}>, <{mailto}>")
                lines.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
            else:
                lines.append(f"List-Unsubscribe: <{mailto}>")
        return ("\r\n".join(lines) + "\r\n").encode("ascii")

    # -- sending --------------------------------------------------------------------------

    def _client(self) -> aiosmtplib.SMTP:
        settings = self.settings
        return self._smtp.SMTP(
            hostname=settings.host,
            port=settings.port,
            username=settings.username,
            password=settings.password.get_secret_value() if settings.password else None,
            use_tls=settings.security == "tls",
            start_tls=settings.security == "starttls",
            tls_context=self._tls,
            timeout=settings.timeout,
        )

    async def _connected(self) -> aiosmtplib.SMTP:
        """A connection, greeted, secured and logged in as the settings say; or a DeliveryError."""
        smtp = self._client()
        try:
            await smtp.connect()
        except Exception as exc:
            smtp.close()
            raise self._connection_error(exc) from None
        return smtp

    probe_is_local = False

    async def probe(self) -> str:
        """Connect, greet, secure and log in as the settings say, then QUIT: no mail is sent.

        The SMTP greeting and ``EHLO`` (RFC 5321), ``STARTTLS`` or TLS and ``AUTH``
        (RFC 4954) as for a delivery; the session ends before any ``MAIL FROM``.
        """
        smtp = await self._connected()
        await self._quit(smtp)
        settings = self.settings
        where = f"{settings.host}:{settings.port or 'default port'}"
        login = " and the login" if settings.username else ""
        return f"the SMTP server at {where} took the connection{login}; no mail was sent"

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        """Mail ``message`` to the fixed recipients only, without a ledger (one connection).

        Delivery calls :meth:`post_each` instead; this serves callers that hold no
        store, such as ``candor.testing``'s contract.
        """
        common = self._common(message, context.organization, context.update.created_at)
        sent = 0
        smtp = await self._connected()
        try:
            for address in self.fixed_recipients:
                data = self._headers(message, context, address, subscriber=False) + common
                outcome = await self._send(smtp, address, data)
                if not outcome.sent:
                    raise DeliveryError(
                        self.channel.name,
                        f"{address}: {outcome.error}",
                        retryable=not outcome.final,
                        maybe_delivered=False,
                    )
                sent += 1
        finally:
            await self._quit(smtp)
        return self._threaded(message, context, self.fixed_recipients[0] if sent else None)

    async def post_each(
        self, message: Message, context: DeliveryContext, ledger: RecipientLedger
    ) -> Receipt:
        """Mail ``message`` to everyone ``ledger`` hands out, over a pool of connections."""
        common = self._common(message, context.organization, context.update.created_at)
        subscribed = {r.address.casefold() for r in await ledger.recipients() if r.subscriber}
        stops: list[DeliveryError] = []

        async def connection() -> None:
            address = await ledger.next()
            if address is None:
                return
            try:
                smtp = await self._connected()
            except DeliveryError as error:
                stops.append(error)
                await ledger.next(self._deferred(address, error.reason))
                return
            try:
                while address is not None:
                    data = (
                        self._headers(
                            message, context, address, subscriber=address.casefold() in subscribed
                        )
                        + common
                    )
                    try:
                        outcome = await self._send(smtp, address, data)
                    except DeliveryError as error:
                        # The connection is gone, or the server refuses the sender: this
                        # recipient is owed again, and this connection stops.
                        stops.append(error)
                        await ledger.next(self._deferred(address, error.reason))
                        return
                    address = await ledger.next(outcome)
            finally:
                await self._quit(smtp)

        await asyncio.gather(*(connection() for _ in range(self.settings.connections)))
        return await self._receipt(message, context, ledger, stops)

    @staticmethod
    async def _quit(smtp: aiosmtplib.SMTP) -> None:
        try:
            await smtp.quit()
        except Exception:  # already closed by the server, or broken: nothing left to say
            smtp.close()

    def _deferred(self, address: str, reason: str) -> RecipientOutcome:
        return RecipientOutcome(
            address=address, sent=False, at=self._now(), error=reason, final=False
        )

    @staticmethod
    def _now() -> datetime:
        return datetime.now(UTC)

    async def _send(self, smtp: aiosmtplib.SMTP, address: str, data: bytes) -> RecipientOutcome:
        """One mail to one recipient on an open connection; what the server said of it.

        Raises DeliveryError when the connection cannot go on (dropped, timed out,
        the sender refused): the recipient's fate is then the caller's to record.
        """
        smtp_errors = self._smtp.errors
        try:
            await smtp.sendmail(self.settings.address, [address], data)
        except smtp_errors.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            return self._answer(address, refused.code, refused.message)
        except smtp_errors.SMTPSenderRefused as exc:
            raise DeliveryError(
                self.channel.name,
                f"the server refuses the sender {exc.sender}: {exc.code} {exc.message}",
                retryable=exc.code < 500,
                maybe_delivered=False,
            ) from None
        except (smtp_errors.SMTPServerDisconnected, smtp_errors.SMTPTimeoutError) as exc:
            raise DeliveryError(
                self.channel.name,
                f"the connection to {self.settings.host} dropped while mailing {address}: {exc}",
                maybe_delivered=True,
            ) from None
        except smtp_errors.SMTPResponseException as exc:
            if exc.code == 421:  # the server is closing this connection (RFC 5321, 3.8)
                raise DeliveryError(
                    self.channel.name,
                    f"the server closes the connection: {exc.code} {exc.message}",
                    maybe_delivered=False,
                ) from None
            return self._answer(address, exc.code, exc.message)
        return RecipientOutcome(address=address, sent=True, at=self._now())

    def _answer(self, address: str, code: int, words: str) -> RecipientOutcome:
        """A refusal of one recipient: 4xx deferred (tried again), 5xx refused for good."""
        final = code >= 500
        log.warning(
            "email_recipient_refused" if final else "email_recipient_deferred",
            channel=self.channel.name,
            recipient=address,
            code=code,
            answer=words,
        )
        return RecipientOutcome(
            address=address, sent=False, at=self._now(), error=f"{code} {words}", final=final
        )

    def _connection_error(self, exc: Exception) -> DeliveryError:
        smtp_errors = self._smtp.errors
        where = f"{self.settings.host}:{self.settings.port or 'default port'}"
        if isinstance(exc, smtp_errors.SMTPAuthenticationError):
            return DeliveryError(
                self.channel.name,
                f"the server at {where} refuses the user name or password:"
                f" {exc.code} {exc.message}",
                retryable=False,
                maybe_delivered=False,
            )
        if isinstance(exc, smtp_errors.SMTPResponseException):
            return DeliveryError(
                self.channel.name,
                f"the server at {where} answered {exc.code} {exc.message}",
                retryable=exc.code < 500,
                maybe_delivered=False,
            )
        return DeliveryError(
            self.channel.name,
            f"cannot connect to the SMTP server at {where}: {type(exc).__name__}: {exc}",
            maybe_delivered=False,
        )

    async def _receipt(
        self,
        message: Message,
        context: DeliveryContext,
        ledger: RecipientLedger,
        stops: Sequence[DeliveryError],
    ) -> Receipt:
        """The row's receipt when nobody is owed; otherwise the error saying who and why."""
        everyone = await ledger.recipients()
        owed = [
            r
            for r in everyone
            if r.state in {RecipientState.PENDING, RecipientState.RETRY, RecipientState.IN_FLIGHT}
        ]
        refused = [r for r in everyone if r.state is RecipientState.FAILED]
        final = [stop for stop in stops if not stop.retryable]
        if owed and final:
            raise final[0]
        if owed:
            said = "; ".join(f"{r.address}: {r.last_error}" for r in owed[:3])
            raise DeliveryError(
                self.channel.name,
                f"{len(owed)} of {len(everyone)} recipients are still owed this update ({said})",
                retryable=True,
                maybe_delivered=False,
            )
        if refused:
            said = "; ".join(f"{r.address}: {r.last_error}" for r in refused[:5])
            raise DeliveryError(
                self.channel.name,
                f"the server refused {len(refused)} of {len(everyone)} recipients for good"
                f" ({said}); everyone else has it",
                retryable=False,
                maybe_delivered=False,
            )
        sent = [r for r in everyone if r.state is RecipientState.SENT]
        log.info(
            "email_fanned_out", channel=self.channel.name, sent=len(sent), recipients=len(everyone)
        )
        return self._threaded(message, context, sent[0].address if sent else None)

    def _threaded(self, message: Message, context: DeliveryContext, first: str | None) -> Receipt:
        """The receipt: the Message-ID of this update's mail, and of the incident's first mail,
        to the first recipient (each recipient's own are :func:`message_id`)."""
        if first is None:
            return Receipt(channel=self.channel.name)
        root_update = context.incident.updates[0].id
        return Receipt(
            channel=self.channel.name,
            remote_id=message_id(message.incident_id, message.update_id, first, self._domain),
            thread_root=message_id(message.incident_id, root_update, first, self._domain),
        )

    # -- the double opt-in ----------------------------------------------------------------

    async def send_confirmation(self, subscriber: Subscriber, organization: Organization) -> None:
        """Mail ``subscriber`` a signed link that confirms the subscription."""
        token = self.token("confirm", subscriber.address)
        link = self._link(self.settings.confirm_url, "/subscribe/confirm", token, organization)
        what = ", ".join((*subscriber.components, *subscriber.regions)) or "every incident"
        how = (
            f"open this link to confirm:\n\n{link}\n"
            if link is not None
            else f"run, or ask the status page's operators to run:\n\n"
            f"candor subscribers confirm {token}\n"
        )
        mail = EmailMessage(policy=SMTP_POLICY)
        mail["Subject"] = f"Confirm your subscription to {organization.name} status updates"
        mail["From"] = self.settings.sender
        mail["To"] = subscriber.address
        mail["Date"] = format_datetime(self._now())
        mail["Message-ID"] = f"<{uuid.uuid4()}@{self._domain}>"
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(
            f"Someone, hopefully you, asked to hear from {organization.name} about incidents"
            f" affecting {what}.\n\nTo start receiving them, {how}\n"
            "If you did not ask, ignore this mail: nothing is sent until it is confirmed.\n"
        )
        smtp = await self._connected()
        try:
            outcome = await self._send(smtp, subscriber.address, mail.as_bytes())
        finally:
            await self._quit(smtp)
        if not outcome.sent:
            raise DeliveryError(
                self.channel.name,
                f"the confirmation to {subscriber.address} was refused: {outcome.error}",
                retryable=not outcome.final,
                maybe_delivered=False,
            )
