"""``pager``: posts each incident as one thread of notices on a (made-up) Pager board.

A complete third-party adapter for candor, the one ``docs/adapters.md`` walks
through. It imports only from ``candor.adapters`` (the adapter kit) and
``candor.errors``.

Credentials: an API token for the board, made under the board's settings,
named in ``candor.toml`` as ``api_token = "${PAGER_TOKEN}"``.

The service: ``POST {base_url}/v1/boards/{board}/notices`` with
``Authorization: Bearer <token>``, a JSON body ``{"text", "reply_to"}`` and an
``Idempotency-Key`` header, which it honours (a repeat gets the first answer);
it answers ``{"id", "url"}``. Notices are at most 500 characters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from candor.adapters import (
    Capabilities,
    Form,
    Receipt,
    ServiceAdapter,
    answer,
    http_url,
    measure,
    parent_of,
    refuse_if_too_long,
    required_secret,
    root_of,
    send,
)
from candor.errors import DeliveryError

if TYPE_CHECKING:
    from candor.adapters import DeliveryContext, Message

__all__ = ["PagerAdapter", "PagerSettings"]


class PagerSettings(BaseModel):
    """The settings of a ``pager`` channel in ``candor.toml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = "https://api.pager.example"
    board: str = Field(min_length=1, pattern=r"^[a-z0-9-]+$")
    api_token: SecretStr
    timeout: float = Field(default=10.0, gt=0)
    rate_limit: float | None = Field(default=None, gt=0)

    _base_url = field_validator("base_url")(http_url)
    _api_token = field_validator("api_token")(required_secret)


class PagerAdapter(ServiceAdapter[PagerSettings]):
    """Posts each incident as one thread of notices on a Pager board."""

    settings_model = PagerSettings
    capabilities = Capabilities(
        form=Form.SHORT,
        max_length=500,
        threading=True,
        idempotency=True,
        rate_limit=2.0,
        guarantee="exactly once: the board honours the Idempotency-Key header",
    )

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        """Post the notice, as a reply to the incident's previous one when there is one."""
        limit = self.capabilities.max_length or 500
        length = measure(message.text, self.capabilities.length_unit)
        refuse_if_too_long(context.channel, message.text, length, limit, "characters")
        body: dict[str, Any] = {"text": message.text, "reply_to": parent_of(context)}
        response = await send(
            self.client,
            context.channel,
            "POST",
            f"{self.settings.base_url}/v1/boards/{self.settings.board}/notices",
            json=body,
            headers={
                "Authorization": f"Bearer {self.settings.api_token.get_secret_value()}",
                "Idempotency-Key": context.idempotency_key,
            },
            secrets=self.secrets,
            timeout=self.settings.timeout,
            now=context.now,
        )
        notice = answer(response)
        if not isinstance(notice.get("id"), str):
            raise DeliveryError(
                context.channel, "the board answered without an id", maybe_delivered=True
            )
        return Receipt(
            channel=context.channel,
            remote_id=notice["id"],
            url=notice.get("url") if isinstance(notice.get("url"), str) else None,
            thread_root=root_of(context) or notice["id"],
        )
