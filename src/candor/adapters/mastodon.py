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
``GET /api/v2/instance``. A status already made is corrected with
:meth:`MastodonAdapter.correct`, an edit (``PUT /api/v1/statuses/:id``) that
says it is a correction; Mastodon keeps the edit history and shows "edited".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from candor._version import __version__
from candor.adapters._social import (
    answer,
    neutralise_mentions,
    parent_of,
    refuse_if_too_long,
    root_of,
)
from candor.adapters.base import http_url, parse_settings
from candor.errors import DeliveryError
from candor.length import URL
from candor.log import get_logger, register_secret
from candor.vocabulary import Capabilities, Channel, Form, LengthUnit, Receipt

if TYPE_CHECKING:
    import httpx

    from candor.vocabulary import DeliveryContext, Message

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
    rate_limit: float = Field(default=1.0, gt=0)
    """Mastodon allows 300 posts per 5 minutes per account: one a second on average."""
    burst: int = Field(default=5, ge=1)

    _base_url = field_validator("base_url")(http_url)


class MastodonAdapter:
    """Posts each incident as one thread on a Mastodon account; see the module docstring."""

    def __init__(self, channel: Channel, *, client: httpx.AsyncClient, base_dir: Path) -> None:
        self.channel = channel
        self.settings = parse_settings(MastodonSettings, channel)
        register_secret(self._token)
        self.client = client
        self.reserved_per_url = DEFAULT_RESERVED_PER_URL
        self._instance_read = self.settings.max_characters is not None
        self.capabilities = self._capabilities(
            self.settings.max_characters or DEFAULT_MAX_CHARACTERS
        )

    def __repr__(self) -> str:
        return f"MastodonAdapter({self.channel.name!r})"

    def _capabilities(self, max_characters: int) -> Capabilities:
        return Capabilities(
            form=Form.SHORT,
            max_length=max_characters,
            length_unit=LengthUnit.CHARACTERS,
            threading=True,
            editing=True,
            idempotency=True,
            rate_limit=self.settings.rate_limit,
            burst=self.settings.burst,
            guarantee=GUARANTEE,
        )

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
        import httpx

        from candor.adapters.http import check_response, transport_error

        try:
            response = await self.client.request(
                method,
                f"{self.settings.base_url}{path}",
                json=json,
                headers=headers or self._headers(),
                timeout=self.settings.timeout,
            )
        except httpx.HTTPError as exc:
            raise transport_error(channel, exc, secrets=[self._token]) from None
        check_response(channel, response, secrets=[self._token], now=now)
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
                self.capabilities = self._capabilities(limit)
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
        return neutralise_mentions(message.text, lambda at: _SAFE_AT)

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
        marked = neutralise_mentions(marked, lambda at: _SAFE_AT)
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

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client is shared and closed by its owner."""
