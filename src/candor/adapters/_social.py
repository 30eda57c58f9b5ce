"""What the social adapters share: threads, mentions, length limits, reading JSON."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from candor.errors import DeliveryError
from candor.length import URL

if TYPE_CHECKING:
    import httpx

    from candor.vocabulary import DeliveryContext

__all__ = ["answer", "links", "neutralise_mentions", "parent_of", "refuse_if_too_long", "root_of"]

# An @ that would start a mention: not after a word character (so not an e-mail address),
# followed by a name. X also counts ＠ (U+FF20) as an at sign; nothing here writes one.
_MENTION = re.compile(r"(?<![\w!#$%&*@＠])[@＠](?=\w)")
_TRAILING = ".,;:!?)]}'\"…"


def neutralise_mentions(text: str, replacement: Callable[[str], str]) -> str:
    """``text`` with every at sign that would tag an account replaced; links are left whole.

    ``replacement`` gets the at sign and returns what stands in for it.
    """
    protected = [(m.start(), m.end()) for m in URL.finditer(text)]
    pieces: list[str] = []
    position = 0
    for match in _MENTION.finditer(text):
        if any(start <= match.start() < end for start, end in protected):
            continue
        pieces += [text[position : match.start()], replacement(match.group())]
        position = match.end()
    return "".join(pieces) + text[position:]


def links(text: str) -> list[tuple[int, int, str]]:
    """The links in ``text`` as (start, end, url) in characters, without trailing punctuation."""
    found = []
    for match in URL.finditer(text):
        url = match.group().rstrip(_TRAILING)
        if "://" in url and len(url.split("://", 1)[1]) > 0:
            found.append((match.start(), match.start() + len(url), url))
    return found


def root_of(context: DeliveryContext) -> str | None:
    """The remote id of the post that opened this incident's thread on this channel."""
    if not context.previous:
        return None
    first = context.previous[0]
    return first.thread_root or first.remote_id


def parent_of(context: DeliveryContext) -> str | None:
    """The remote id of this incident's latest post on this channel that the service named."""
    for receipt in reversed(context.previous):
        if receipt.remote_id:
            return receipt.remote_id
    return None


def refuse_if_too_long(
    channel: str, text: str, length: int, limit: int, unit: str, *, hint: str = ""
) -> None:
    """Raise a non-retryable DeliveryError when ``text`` is over the service's limit.

    candor fits every message before it is stored; a text still over the limit
    here would be cut or refused by the service, and neither helps on a retry.
    """
    if length > limit:
        raise DeliveryError(
            channel,
            f"the text is {length} {unit}, over the service's limit of {limit}; "
            "it is refused here rather than cut by the service" + (f" ({hint})" if hint else ""),
            retryable=False,
            maybe_delivered=False,
        )


def answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON object a service answered with, or an empty dict."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
