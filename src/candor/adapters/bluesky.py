"""``bluesky``: posts each incident as one thread on a Bluesky (AT Protocol) account.

Credentials: the account's handle and an **app password**, never the account
password. In the Bluesky app open Settings → Privacy and security → App
passwords → Add App Password, name it "candor", and copy it (it looks like
``abcd-efgh-ijkl-mnop``). Set it in the environment and name it in
``candor.toml`` as ``app_password = "${BLUESKY_APP_PASSWORD}"``, with
``identifier`` the handle (``status.example.com``). ``service`` is the PDS
(``https://bsky.social`` unless you host your own).

A session is made with ``com.atproto.server.createSession`` and kept; when its
access token expires it is renewed with ``refreshSession`` (and made anew if
that fails). Each update is a ``com.atproto.repo.createRecord`` of an
``app.bsky.feed.post``: the first opens the thread, each later one replies with
``reply.root`` (the first post) and ``reply.parent`` (the previous one). Links,
the status page's among them, are ``app.bsky.richtext.facet#link`` facets with
UTF-8 byte offsets, so they are clickable. The record key is derived from the
update's idempotency key: a retried create collides with the post already made
instead of making a second, and after an ambiguous failure
``com.atproto.repo.getRecord`` at that key says whether the post exists.
Bluesky tags an account only through a mention facet; candor writes none, so
an ``@handle`` in your text never notifies anyone.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    graphemes,
    http_url,
    links,
    parent_of,
    refuse_if_too_long,
    register_secret,
    required_secret,
    root_of,
    send,
)
from candor.errors import DeliveryError
from candor.log import get_logger

if TYPE_CHECKING:
    from datetime import datetime

    import httpx

    from candor.adapters import Channel, DeliveryContext, Message

__all__ = ["BlueskyAdapter", "BlueskySettings", "facets", "record_key"]

log = get_logger("candor.adapters.bluesky")

POST = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
GUARANTEE = (
    "exactly once: the record key comes from the idempotency key, so a retried create "
    "collides with the post already made, and an ambiguous failure is settled with getRecord"
)
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


class BlueskySettings(BaseModel):
    """The settings of a ``bluesky`` channel in ``candor.toml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: str = "https://bsky.social"
    identifier: str = Field(min_length=1)
    """The handle (``status.example.com``) or the DID of the account."""
    app_password: SecretStr
    langs: tuple[str, ...] = ()
    """The languages of the posts (``["en"]``), for readers' feeds."""
    timeout: float = Field(default=10.0, gt=0)
    rate_limit: float | None = Field(default=None, gt=0)
    """Requests per second, when not the account's allowance (see the capabilities)."""
    burst: int | None = Field(default=None, ge=1)

    _service = field_validator("service")(http_url)
    _app_password = field_validator("app_password")(required_secret)


def record_key(idempotency_key: str, created_at: datetime) -> str:
    """The record key of an update's post: a TID made from the update's time and its key.

    The same key and time always give the same record key, so a retried create
    collides rather than duplicates. It is a valid TID (13 base32-sortable
    characters: microseconds since 1970 and a 10-bit clock id), as
    ``app.bsky.feed.post`` asks, ordered by the update's time; the low 16 bits
    of the microseconds and the clock id come from the key's SHA-256, so two
    channels posting the same update to one account never share a record key.
    """
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big")
    micros = int(created_at.astimezone(UTC).timestamp() * 1_000_000)
    micros = (micros & ~0xFFFF) | (digest & 0xFFFF)
    clock_id = (digest >> 16) & 0x3FF
    value = ((micros & ((1 << 53) - 1)) << 10) | clock_id
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def facets(text: str) -> list[dict[str, Any]]:
    """``app.bsky.richtext.facet`` link facets for the links in ``text``, in UTF-8 byte offsets."""
    found = []
    for start, end, url in links(text):
        byte_start = len(text[:start].encode("utf-8"))
        byte_end = byte_start + len(text[start:end].encode("utf-8"))
        found.append(
            {
                "index": {"byteStart": byte_start, "byteEnd": byte_end},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
            }
        )
    return found


class BlueskyAdapter(ServiceAdapter[BlueskySettings]):
    """Posts each incident as one thread on a Bluesky account; see the module docstring."""

    settings_model = BlueskySettings
    capabilities = Capabilities(
        form=Form.SHORT,
        max_length=MAX_GRAPHEMES,
        length_unit=LengthUnit.GRAPHEMES,
        threading=True,
        # A repeated create collides with the record already made (it is not handed
        # back as the first post would be), so candor reconciles instead.
        idempotency=False,
        # Bluesky allows about 1,600 new posts an hour per account.
        rate_limit=0.4,
        burst=10,
        guarantee=GUARANTEE,
    )

    def __init__(self, channel: Channel, *, client: httpx.AsyncClient, base_dir: Path) -> None:
        self._session: dict[str, str] | None = None
        super().__init__(channel, client=client, base_dir=base_dir)
        self._session_lock: asyncio.Lock | None = None
        self._cids: dict[str, str] = {}

    @property
    def _password(self) -> str:
        return self.settings.app_password.get_secret_value()

    @property
    def secrets(self) -> list[str]:
        """The app password and, once signed in, the session's two tokens."""
        held = super().secrets
        if self._session is not None:
            held += [self._session["accessJwt"], self._session["refreshJwt"]]
        return held

    # -- XRPC and the session -----------------------------------------------------------

    async def _call(
        self,
        channel: str,
        nsid: str,
        *,
        token: str | None,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        procedure: bool | None = None,
    ) -> httpx.Response:
        """One XRPC request (a procedure, POST, when it has a body or ``procedure``)."""
        headers = {"User-Agent": f"candor/{__version__}"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return await send(
            self.client,
            channel,
            "POST" if procedure or body is not None else "GET",
            f"{self.settings.service}/xrpc/{nsid}",
            params=params,
            json=body,
            headers=headers,
            secrets=self.secrets,
            timeout=self.settings.timeout,
            check=False,
        )

    def _check(self, channel: str, response: httpx.Response, now: datetime | None = None) -> None:
        check_response(channel, response, secrets=self.secrets, now=now)

    def _keep(self, channel: str, response: httpx.Response) -> dict[str, str]:
        self._check(channel, response)
        session = answer(response)
        kept = {key: session.get(key) for key in ("accessJwt", "refreshJwt", "did", "handle")}
        if not all(isinstance(value, str) for value in kept.values()):
            raise DeliveryError(channel, "the PDS answered without a session", retryable=False)
        self._session = {key: str(value) for key, value in kept.items()}
        register_secret(self._session["accessJwt"])
        register_secret(self._session["refreshJwt"])
        return self._session

    def _lock(self) -> asyncio.Lock:
        if self._session_lock is None:
            self._session_lock = asyncio.Lock()
        return self._session_lock

    async def session(self, channel: str) -> dict[str, str]:
        """The current session (``accessJwt``, ``refreshJwt``, ``did``, ``handle``), made once."""
        async with self._lock():
            if self._session is None:
                response = await self._call(
                    channel,
                    "com.atproto.server.createSession",
                    token=None,
                    body={"identifier": self.settings.identifier, "password": self._password},
                )
                self._keep(channel, response)
                log.debug("bluesky_session_created", channel=channel)
            assert self._session is not None
            return self._session

    async def _renew(self, channel: str, expired: str) -> None:
        """Refresh the session whose access token ``expired``; make a new one if that fails."""
        async with self._lock():
            if self._session is None or self._session["accessJwt"] != expired:
                return  # another request renewed it already
            response = await self._call(
                channel,
                "com.atproto.server.refreshSession",
                token=self._session["refreshJwt"],
                procedure=True,
            )
            if response.is_success:
                self._keep(channel, response)
                log.debug("bluesky_session_refreshed", channel=channel)
                return
            self._session = None
        await self.session(channel)

    async def _authed(
        self,
        channel: str,
        nsid: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """An XRPC request with the session's token, renewed once if it has expired."""
        session = await self.session(channel)
        response = await self._call(
            channel, nsid, token=session["accessJwt"], params=params, body=body
        )
        if _expired(response):
            await self._renew(channel, session["accessJwt"])
            session = await self.session(channel)
            response = await self._call(
                channel, nsid, token=session["accessJwt"], params=params, body=body
            )
        return response

    # -- posting --------------------------------------------------------------------------

    async def _strong_ref(self, channel: str, uri: str) -> dict[str, str]:
        """``{uri, cid}`` for a post of this account, its cid read with getRecord if unknown."""
        if uri not in self._cids:
            repo, collection, rkey = uri.removeprefix("at://").split("/", 2)
            response = await self._authed(
                channel,
                "com.atproto.repo.getRecord",
                params={"repo": repo, "collection": collection, "rkey": rkey},
            )
            self._check(channel, response)
            cid = answer(response).get("cid")
            if not isinstance(cid, str):
                raise DeliveryError(channel, f"no cid for {uri}", retryable=False)
            self._cids[uri] = cid
        return {"uri": uri, "cid": self._cids[uri]}

    def record(self, message: Message, context: DeliveryContext) -> dict[str, Any]:
        """The ``app.bsky.feed.post`` record for ``message``, without its reply refs."""
        record: dict[str, Any] = {
            "$type": POST,
            "text": message.text,
            "createdAt": context.now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }
        found = facets(message.text)
        if found:
            record["facets"] = found
        if self.settings.langs:
            record["langs"] = list(self.settings.langs)
        return record

    def _receipt(self, context: DeliveryContext, uri: str, cid: str | None, did: str) -> Receipt:
        if cid is not None:
            self._cids[uri] = cid
        rkey = uri.rsplit("/", 1)[-1]
        return Receipt(
            channel=context.channel,
            remote_id=uri,
            url=f"https://bsky.app/profile/{did}/post/{rkey}",
            thread_root=root_of(context) or uri,
        )

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        """Create the post, in reply to the incident's previous one when there is one."""
        text = message.text
        refuse_if_too_long(context.channel, text, len(graphemes(text)), MAX_GRAPHEMES, "graphemes")
        refuse_if_too_long(context.channel, text, len(text.encode("utf-8")), MAX_BYTES, "bytes")
        session = await self.session(context.channel)
        record = self.record(message, context)
        root, parent = root_of(context), parent_of(context)
        if root is not None and parent is not None:
            record["reply"] = {
                "root": await self._strong_ref(context.channel, root),
                "parent": await self._strong_ref(context.channel, parent),
            }
        rkey = record_key(context.idempotency_key, context.update.created_at)
        response = await self._authed(
            context.channel,
            "com.atproto.repo.createRecord",
            body={"repo": session["did"], "collection": POST, "rkey": rkey, "record": record},
        )
        try:
            self._check(context.channel, response, context.now)
        except DeliveryError as refused:
            if refused.status_code is None or refused.status_code in (401, 403, 429):
                raise
            # A record already at this key is this update's post, made by an earlier try.
            existing = await self.reconcile(message, context)
            if existing is None:
                raise
            log.info("bluesky_post_already_made", channel=context.channel, rkey=rkey)
            return existing
        created = answer(response)
        uri, cid = created.get("uri"), created.get("cid")
        if not isinstance(uri, str):
            raise DeliveryError(
                context.channel, "the PDS answered without the post's uri", retryable=False
            )
        return self._receipt(context, uri, cid if isinstance(cid, str) else None, session["did"])

    async def reconcile(self, message: Message, context: DeliveryContext) -> Receipt | None:
        """The receipt of this update's post if the PDS has it (``getRecord``), else None."""
        session = await self.session(context.channel)
        rkey = record_key(context.idempotency_key, context.update.created_at)
        response = await self._authed(
            context.channel,
            "com.atproto.repo.getRecord",
            params={"repo": session["did"], "collection": POST, "rkey": rkey},
        )
        if response.status_code in (400, 404) and answer(response).get("error") in (
            "RecordNotFound",
            "NotFound",
        ):
            return None
        self._check(context.channel, response, context.now)
        found = answer(response)
        uri, cid = found.get("uri"), found.get("cid")
        if not isinstance(uri, str):
            return None
        return self._receipt(context, uri, cid if isinstance(cid, str) else None, session["did"])

    async def aclose(self) -> None:
        """Forget the session (the HTTP client is shared and closed by its owner)."""
        self._session = None


def _expired(response: httpx.Response) -> bool:
    return response.status_code in (400, 401) and answer(response).get("error") == "ExpiredToken"
