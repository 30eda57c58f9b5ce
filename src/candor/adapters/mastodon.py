"""``mastodon``: posts each incident as one thread of statuses on a Mastodon account.

Credentials: an access token with the scope ``write:statuses``. On your
instance, open Preferences → Development → New application, tick
``write:statuses`` (and nothing else), save, and copy "Your access token".
Set it in the environment and name it in ``candor.toml`` as
``access_token = "${MASTODON_TOKEN}"``, with ``base_url`` the instance
(``https://hachyderm.io``).

The first update opens the thread (``POST /api/v1/statuses``), each later one
replies to the incident's previous status (``in_reply_to_id``), the resolution
closes it. Every post carries the update's idempotency key in the
``Idempotency-Key`` header, which Mastodon honours for an hour: a retry gives
back the status already made instead of a second one. The instance's
``max_characters`` and ``characters_reserved_per_url`` are read once from
``GET /api/v2/instance``. A correction of an update (``comms.correct``) edits
its status in place (:meth:`MastodonAdapter.edit`, ``PUT /api/v1/statuses/:id``);
:meth:`MastodonAdapter.correct` does the same for a receipt in hand. Mastodon
keeps the edit history and shows "edited".
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from candor._version import __version__
from candor.adapters import (
    Capabilities,
    Form,
    LengthUnit,
    Receipt,
    ServiceAdapter,
    answer,
    check_response,
    http_url,
    mastodon_mentions,
    neutralise_mentions,
    parent_of,
    refuse_if_too_long,
    required_secret,
    root_of,
    send,
)
from candor.errors import DeliveryError
from candor.length import URL
from candor.log import get_logger

if TYPE_CHECKING:
    import httpx

    from candor.adapters import Channel, DeliveryContext, Message

__all__ = ["MastodonAdapter", "MastodonSettings", "mastodon_length"]

log = get_logger("candor.adapters.mastodon")

DEFAULT_MAX_CHARACTERS = 500
DEFAULT_RESERVED_PER_URL = 23
GUARANTEE = (
    "exactly once: Mastodon honours the Idempotency-Key header for an hour, "
    "so a retry or a resumed delivery within the hour returns the status already made"
)
# FULLWIDTH COMMERCIAL AT: one character as Mastodon counts, and never a mention.
_SAFE_AT = "\uff20"


def mastodon_length(text: str, reserved_per_url: int = DEFAULT_RESERVED_PER_URL) -> int:
    """The length Mastodon counts: characters, each link as ``reserved_per_url``."""
    return len(URL.sub("x" * reserved_per_url, text))


class MastodonSettings(BaseModel):
    """The settings of a ``mastodon`` channel in ``candor.toml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str
    access_token: SecretStr
    visibility: Literal["public", "unlisted", "private", "direct"] = "public"
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    max_characters: int | None = Field(default=None, gt=0)
    """The instance's limit, when you want it fixed; by default it is read from the instance."""
    timeout: float = Field(default=10.0, gt=0)
    rate_limit: float | None = Field(default=None, gt=0)
    """Requests per second, when not the account's allowance (see the capabilities)."""
    burst: int | None = Field(default=None, ge=1)

    _base_url = field_validator("base_url")(http_url)
    _access_token = field_validator("access_token")(required_secret)


class MastodonAdapter(ServiceAdapter[MastodonSettings]):
    """Posts each incident as one thread on a Mastodon account; see the module docstring."""

    settings_model = MastodonSettings
    capabilities = Capabilities(
        form=Form.SHORT,
        max_length=DEFAULT_MAX_CHARACTERS,
        length_unit=LengthUnit.CHARACTERS,
        threading=True,
        editing=True,
        idempotency=True,
        # Mastodon allows 300 posts per 5 minutes per account: one a second on average.
        rate_limit=1.0,
        burst=5,
        guarantee=GUARANTEE,
    )

    def __init__(self, channel: Channel, *, client: httpx.AsyncClient, base_dir: Path) -> None:
        super().__init__(channel, client=client, base_dir=base_dir)
        self.reserved_per_url = DEFAULT_RESERVED_PER_URL
        self._instance_read = self.settings.max_characters is not None

    def channel_capabilities(self) -> Capabilities:
        """As declared, with the instance's limit when ``max_characters`` fixes it."""
        declared = super().channel_capabilities()
        if self.settings.max_characters is None:
            return declared
        return declared.model_copy(update={"max_length": self.settings.max_characters})

    @property
    def _token(self) -> str:
        return self.settings.access_token.get_secret_value()

    def _headers(self, **extra: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._token}",
            "User-Agent": f"candor/{__version__}",
            **extra,
        }

    async def _request(
        self,
        channel: str,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        now: Any = None,
    ) -> httpx.Response:
        response = await send(
            self.client,
            channel,
            method,
            f"{self.settings.base_url}{path}",
            json=json,
            headers=headers or self._headers(),
            secrets=self.secrets,
            timeout=self.settings.timeout,
            now=now,
            check=False,
        )
        wait = _throttled_for(response, now)
        if wait is not None:
            raise DeliveryError(
                channel,
                f"HTTP 429 Too Many Requests: the instance's rate limit resets in {wait:.0f} s",
                status_code=429,
                retry_after=wait,
                maybe_delivered=False,
            )
        check_response(channel, response, secrets=self.secrets, now=now)
        return response

    async def read_instance(self, channel: str | None = None) -> Capabilities:
        """Read the instance's limits once (``GET /api/v2/instance``); the capabilities after.

        An instance that does not say keeps the defaults (500 characters, links as 23).
        """
        if not self._instance_read:
            response = await self._request(
                channel or self.channel.name, "GET", "/api/v2/instance", headers=self._headers()
            )
            statuses = (answer(response).get("configuration") or {}).get("statuses") or {}
            limit = statuses.get("max_characters")
            reserved = statuses.get("characters_reserved_per_url")
            if isinstance(reserved, int) and reserved > 0:
                self.reserved_per_url = reserved
            if isinstance(limit, int) and limit > 0:
                self.capabilities = self.capabilities.model_copy(update={"max_length": limit})
            self._instance_read = True
            log.debug(
                "mastodon_instance_read",
                channel=self.channel.name,
                max_characters=self.capabilities.max_length,
                characters_reserved_per_url=self.reserved_per_url,
            )
        return self.capabilities

    def text_for(self, message: Message) -> str:
        """The status text: ``message.text`` with every would-be mention made harmless."""
        return neutralise_mentions(message.text, lambda at: _SAFE_AT, rule=mastodon_mentions)

    def _check_length(self, channel: str, text: str) -> None:
        limit = self.capabilities.max_length or DEFAULT_MAX_CHARACTERS
        refuse_if_too_long(
            channel,
            text,
            mastodon_length(text, self.reserved_per_url),
            limit,
            "characters",
            # The first message of a process is fitted before the instance has been asked.
            hint="for an instance under 500 characters, set max_characters",
        )

    probe_is_local = False

    async def probe(self) -> str:
        """``GET /api/v1/apps/verify_credentials``: the instance is reached and takes the token.

        Mastodon documents it as the way to confirm that an app's credentials
        work (any valid app token since 4.3.0, whatever its scopes); it changes nothing.
        """
        response = await self._request(self.channel.name, "GET", "/api/v1/apps/verify_credentials")
        name = answer(response).get("name")
        app = f" (application {name!r})" if isinstance(name, str) and name else ""
        return f"{self.settings.base_url} took the access token{app}"

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        """Post the status, as a reply to the incident's previous one when there is one."""
        await self.read_instance(context.channel)
        text = self.text_for(message)
        self._check_length(context.channel, text)
        body: dict[str, Any] = {"status": text, "visibility": self.settings.visibility}
        if self.settings.language:
            body["language"] = self.settings.language
        parent = parent_of(context)
        if parent is not None:
            body["in_reply_to_id"] = parent
        response = await self._request(
            context.channel,
            "POST",
            "/api/v1/statuses",
            json=body,
            headers=self._headers(**{"Idempotency-Key": context.idempotency_key}),
            now=context.now,
        )
        status = answer(response)
        remote_id = status.get("id")
        if not isinstance(remote_id, str | int):
            raise DeliveryError(
                context.channel,
                "the instance answered without a status id",
                retryable=False,
                maybe_delivered=True,
            )
        url = status.get("url") or status.get("uri")
        return Receipt(
            channel=context.channel,
            remote_id=str(remote_id),
            url=url if isinstance(url, str) else None,
            thread_root=root_of(context) or str(remote_id),
        )

    async def edit(self, message: Message, context: DeliveryContext) -> Receipt:
        """Replace the text of the status ``context.corrected`` with ``message`` (a correction).

        ``PUT /api/v1/statuses/:id`` with the new ``status`` text
        (https://docs.joinmastodon.org/methods/statuses/#edit); Mastodon keeps the
        edit history and shows the status as edited. The receipt is the edited status's.
        """
        receipt = context.corrected
        if receipt is None or not receipt.remote_id:
            raise DeliveryError(context.channel, "no status id to edit", retryable=False)
        await self.read_instance(context.channel)
        text = self.text_for(message)
        self._check_length(context.channel, text)
        body: dict[str, Any] = {"status": text}
        if self.settings.language:
            body["language"] = self.settings.language
        response = await self._request(
            context.channel,
            "PUT",
            f"/api/v1/statuses/{receipt.remote_id}",
            json=body,
            now=context.now,
        )
        status = answer(response)
        url = status.get("url")
        log.info("status_edited", channel=context.channel, remote_id=receipt.remote_id)
        return receipt.model_copy(
            update={"channel": context.channel, "url": url if isinstance(url, str) else receipt.url}
        )

    async def correct(self, receipt: Receipt, text: str, *, note: str) -> Receipt:
        """Edit the status of ``receipt`` to ``text``, marked as a correction saying ``note``.

        The status ends with ``Correction: <note>``, so that nobody reads the edit
        as the original; Mastodon also shows it as edited and keeps the history.
        """
        if not receipt.remote_id:
            raise DeliveryError(receipt.channel, "no status id to correct", retryable=False)
        note = " ".join(note.split())
        if not note:
            raise ValueError("a correction says what was corrected: give a note")
        await self.read_instance(receipt.channel)
        marked = f"{text.rstrip()}\n\nCorrection: {note.rstrip('.')}."
        marked = neutralise_mentions(marked, lambda at: _SAFE_AT, rule=mastodon_mentions)
        self._check_length(receipt.channel, marked)
        body: dict[str, Any] = {"status": marked}
        if self.settings.language:
            body["language"] = self.settings.language
        response = await self._request(
            receipt.channel, "PUT", f"/api/v1/statuses/{receipt.remote_id}", json=body
        )
        status = answer(response)
        url = status.get("url")
        log.info("status_corrected", channel=receipt.channel, remote_id=receipt.remote_id)
        return receipt.model_copy(update={"url": url if isinstance(url, str) else receipt.url})


def _throttled_for(response: httpx.Response, now: Any) -> float | None:
    """Seconds until a throttled instance takes requests again, from ``X-RateLimit-Reset``.

    Mastodon answers a throttled request with 429 and ``X-RateLimit-Reset``, the
    end of the period as an ISO 8601 time, and no ``Retry-After``
    (https://docs.joinmastodon.org/api/rate-limits/); None when the answer is not
    that (a ``Retry-After``, if any, is read as for every service).
    """
    if response.status_code != 429 or "retry-after" in response.headers:
        return None
    reset = response.headers.get("x-ratelimit-reset", "").strip()
    try:
        when = datetime.fromisoformat(reset.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    moment = now if isinstance(now, datetime) else datetime.now(UTC)
    return max(0.0, (when - moment).total_seconds())
