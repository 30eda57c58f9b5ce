"""``x``: posts each incident as one thread on an X account (API v2, ``POST /2/tweets``).

Credentials, one of two kinds, from the X developer portal
(https://developer.x.com → Projects & Apps → your app):

- OAuth 1.0a user context: under "User authentication settings" give the app
  **Read and write** permission, then under "Keys and tokens" copy the API Key
  and Secret (``api_key``, ``api_secret``) and generate the Access Token and
  Secret for the account that posts (``access_token``, ``access_token_secret``).
  Requests are signed with ``oauthlib`` (``pip install 'candor[x]'``).
- OAuth 2.0 user token (``user_token``), with the scopes ``tweet.write`` and
  ``tweet.read``, from the authorization-code flow of your app. It expires
  (two hours, unless refreshed with ``offline.access``): for an unattended
  runbook, prefer OAuth 1.0a.

All of them are secrets: name them in ``candor.toml`` as ``"${X_API_KEY}"``
and so on, and set them in the environment.

The first update opens the thread, each later one replies to the incident's
previous post (``reply.in_reply_to_tweet_id``). X counts 280 weighted
characters (NFC; most Latin, Greek, Cyrillic and punctuation weigh 1, other
characters 2, every link 23). Over its rate limit X answers 429 with the end of
the window in ``x-rate-limit-reset``: the post waits in the outbox until then.
X has no idempotency key; it refuses the same
text twice from one account (403, duplicate content). After an attempt that may
have reached X (a timeout, a 5xx, a crash), that refusal means the post was
made: it is recorded as posted, with no id, and the next update replies to
the latest post whose id is known.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

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
    neutralise_mentions,
    parent_of,
    refuse_if_too_long,
    required_secret,
    reset_header,
    root_of,
    send,
    weighted_length,
    x_mentions,
)
from candor.errors import ConfigError, DeliveryError
from candor.log import get_logger

if TYPE_CHECKING:
    import httpx

    from candor.adapters import Channel, DeliveryContext, Message

__all__ = ["XAdapter", "XSettings", "is_duplicate"]

log = get_logger("candor.adapters.x")

MAX_WEIGHT = 280
GUARANTEE = (
    "exactly once: X has no idempotency key but refuses the same text twice, and a retry "
    "after an attempt that may have arrived takes that refusal as the post already made"
)
# ZERO WIDTH SPACE after an at sign: X no longer sees a mention there; it weighs 1.
_ZWSP = "\u200b"
_OAUTH1 = ("api_key", "api_secret", "access_token", "access_token_secret")
# X answers 429 with the end of its window in x-rate-limit-reset (epoch seconds), and no
# Retry-After (https://docs.x.com/fundamentals/rate-limits): wait for that, not a backoff.
_WAIT = reset_header("x-rate-limit-reset")


class XSettings(BaseModel):
    """The settings of an ``x`` channel in ``candor.toml``: OAuth 1.0a keys or a user token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    access_token_secret: SecretStr | None = None
    user_token: SecretStr | None = None
    """An OAuth 2.0 user access token (scopes ``tweet.write tweet.read``), instead of the four."""
    base_url: str = "https://api.x.com"
    timeout: float = Field(default=10.0, gt=0)
    rate_limit: float | None = Field(default=None, gt=0)
    """Requests per second, when not the account's allowance (see the capabilities)."""
    burst: int | None = Field(default=None, ge=1)

    _base_url = field_validator("base_url")(http_url)
    _tokens = field_validator(*_OAUTH1, "user_token")(required_secret)

    @model_validator(mode="after")
    def _one_way_to_sign_in(self) -> XSettings:
        given = [name for name in _OAUTH1 if getattr(self, name) is not None]
        if self.user_token is not None and given:
            raise ValueError("give either user_token or the four OAuth 1.0a keys, not both")
        if self.user_token is None and len(given) != len(_OAUTH1):
            missing = ", ".join(name for name in _OAUTH1 if name not in given)
            raise ValueError(f"OAuth 1.0a needs {missing} too (or give user_token instead)")
        return self


def is_duplicate(response: httpx.Response) -> bool:
    """Whether X refused a post because the account already posted the same text."""
    if response.status_code != 403:
        return False
    said = json.dumps(answer(response)).lower()
    return "duplicate" in said


class XAdapter(ServiceAdapter[XSettings]):
    """Posts each incident as one thread on an X account; see the module docstring."""

    settings_model = XSettings
    capabilities = Capabilities(
        form=Form.SHORT,
        max_length=MAX_WEIGHT,
        length_unit=LengthUnit.WEIGHTED,
        threading=True,
        idempotency=False,
        # X allows 200 posts per 15 minutes per user (less on the free tier).
        rate_limit=0.2,
        burst=5,
        guarantee=GUARANTEE,
    )

    def __init__(self, channel: Channel, *, client: httpx.AsyncClient, base_dir: Path) -> None:
        super().__init__(channel, client=client, base_dir=base_dir)
        self._signer: Any = None
        if self.settings.user_token is None:
            try:
                from oauthlib.oauth1 import Client as OAuth1Client
            except ImportError:
                raise ConfigError(
                    "OAuth 1.0a signing needs oauthlib: pip install 'candor[x]'",
                    channel=channel.name,
                    key="api_key",
                ) from None
            self._signer = OAuth1Client(
                self._secret("api_key"),
                client_secret=self._secret("api_secret"),
                resource_owner_key=self._secret("access_token"),
                resource_owner_secret=self._secret("access_token_secret"),
            )

    def _secret(self, name: str) -> str:
        value = getattr(self.settings, name)
        return value.get_secret_value() if value is not None else ""

    def _authorization(self, url: str) -> str:
        if self._signer is None:
            return f"Bearer {self._secret('user_token')}"
        # A JSON body is not part of an OAuth 1.0a signature: only the method, URL and oauth_*.
        _, headers, _ = self._signer.sign(url, http_method="POST")
        return str(headers["Authorization"])

    def text_for(self, message: Message) -> str:
        """The post's text: would-be mentions made harmless, within 280 as X counts.

        A zero-width space after the at sign weighs 1; where a fitted text has no
        room for it, the at sign is left out instead (which weighs 1 less).
        """
        text = neutralise_mentions(message.text, lambda at: at + _ZWSP, rule=x_mentions)
        if weighted_length(text) > MAX_WEIGHT:
            text = neutralise_mentions(message.text, lambda at: "", rule=x_mentions)
        return text

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        """Post, in reply to the incident's previous post when there is one."""
        text = self.text_for(message)
        refuse_if_too_long(context.channel, text, weighted_length(text), MAX_WEIGHT, "weighted")
        body: dict[str, Any] = {"text": text}
        parent = parent_of(context)
        if parent is not None:
            body["reply"] = {"in_reply_to_tweet_id": parent}
        url = f"{self.settings.base_url}/2/tweets"
        headers = {
            "Authorization": self._authorization(url),
            "Content-Type": "application/json",
            "User-Agent": f"candor/{__version__}",
        }
        response = await send(
            self.client,
            context.channel,
            "POST",
            url,
            content=json.dumps(body),
            headers=headers,
            secrets=self.secrets,
            timeout=self.settings.timeout,
            check=False,
        )
        if is_duplicate(response) and context.attempt > 1:
            # An earlier attempt of this very update may have reached X: this is that post.
            log.warning(
                "x_duplicate_taken_as_posted",
                channel=context.channel,
                incident_id=context.incident.id,
                update_id=context.update.id,
                attempt=context.attempt,
            )
            return Receipt(channel=context.channel, remote_id=None, thread_root=root_of(context))
        check_response(context.channel, response, secrets=self.secrets, now=context.now, wait=_WAIT)
        data = answer(response).get("data")
        post_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(post_id, str):
            raise DeliveryError(
                context.channel,
                "X answered without the post's id",
                retryable=False,
                maybe_delivered=True,
            )
        return Receipt(
            channel=context.channel,
            remote_id=post_id,
            url=f"https://x.com/i/status/{post_id}",
            thread_root=root_of(context) or post_id,
        )
