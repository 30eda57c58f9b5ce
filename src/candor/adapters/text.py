"""Text as a service takes it: mentions made harmless, links found, length measured and refused.

candor fits every message to the channel's ``Capabilities`` before it is stored;
an adapter measures the text it is about to send (after its own changes, such
as neutralised mentions) with :func:`measure` and refuses one still over the
limit with :func:`refuse_if_too_long`, rather than let the service cut it.
:func:`terminal_safe` and :func:`xml_safe` (from :mod:`candor.model`) make text
that may hold control characters (recorded by an older candor) safe to print
or to write into XML. Part of the adapter kit: import these from
:mod:`candor.adapters`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from candor.errors import DeliveryError
from candor.length import URL, graphemes, measure, weighted_length
from candor.model import terminal_safe, xml_safe

if TYPE_CHECKING:
    from candor.vocabulary import Capabilities

__all__ = [
    "fits",
    "graphemes",
    "links",
    "measure",
    "neutralise_mentions",
    "refuse_if_too_long",
    "terminal_safe",
    "weighted_length",
    "xml_safe",
]

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


def fits(text: str, capabilities: Capabilities) -> bool:
    """Whether ``text`` is within ``capabilities.max_length`` as the service counts it."""
    limit = capabilities.max_length
    return limit is None or measure(text, capabilities.length_unit) <= limit
