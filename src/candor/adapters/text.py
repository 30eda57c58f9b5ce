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
import string
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING

from candor.errors import DeliveryError
from candor.length import URL, graphemes, measure, weighted_length
from candor.model import terminal_safe, xml_safe

if TYPE_CHECKING:
    from candor.vocabulary import Capabilities

__all__ = [
    "MentionRule",
    "any_service_mentions",
    "fits",
    "graphemes",
    "links",
    "mastodon_mentions",
    "measure",
    "neutralise_mentions",
    "refuse_if_too_long",
    "terminal_safe",
    "weighted_length",
    "x_mentions",
    "xml_safe",
]

_TRAILING = ".,;:!?)]}'\"…"

MentionRule = Callable[[str], list[int]]
"""A service's rule for mentions: the indices of the at signs in a text that start one."""

# Ruby's [[:word:]] (Onigmo, on Unicode text): letters, marks, decimal digits and
# connector punctuation, by general category. Python's \w is a different set (it has
# no marks, and has other numbers such as "²"), so the categories are read directly.
_RUBY_WORD = ("L", "M", "Nd", "Pc")
# A username's first character, matched case-insensitively as Mastodon's and X's
# patterns are: besides a-z, 0-9 and _, that folds in KELVIN SIGN and LONG S.
_NAME_START = re.compile(r"[a-z0-9_]", re.IGNORECASE)
# X: what may not come right before an at sign (ASCII only: "é@bob" is a mention).
_X_NOT_BEFORE = frozenset(string.ascii_letters + string.digits + "_!#$%&*@＠")
_X_NOT_BEFORE_RT = frozenset(string.ascii_letters + string.digits + "_+~.-")
_X_AT_SIGNS = "@＠"
# A link X itself recognises: not glued to a letter, digit, at sign, $ or #; a host
# under a top-level domain it knows; then the characters twitter-text keeps in a path
# or query (no parentheses, which it only keeps balanced). An at sign in there is part
# of the link; anywhere else (``http://@bob``, ``https://a.invalid/@bob``) it counts.
_X_LINK = re.compile(
    r"(?<![a-z0-9@＠$#＃\ufffe\ufeff\uffff])https?://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:com|org|net|edu|gov|io|co|dev|app|social|info|me|uk|de|fr|nl|eu|ca|au|jp|ch|se|no)"
    r"(?![a-z0-9.-])[a-z0-9!*';:=+,.$/%#\[\]_~&|@?-]*",
    re.IGNORECASE,
)


def _word_like_ruby(char: str) -> bool:
    return unicodedata.category(char).startswith(_RUBY_WORD)


def mastodon_mentions(text: str) -> list[int]:
    """Where Mastodon would mention someone in ``text``: the index of each such at sign.

    Mastodon's own rule (``Account::MENTION_RE``, which its ``ProcessMentionsService``
    runs over the whole status text, links included): an ``@`` that does not
    follow ``=``, ``/`` or a word character (a letter, mark, decimal digit or
    connector), followed by a username (a letter, digit or underscore first).
    Only the ASCII ``@`` counts; ``!``, ``#``, ``*``, ``&`` and another ``@``
    before it do not stop it.
    """
    starts = []
    for index, char in enumerate(text):
        if char != "@" or index + 1 >= len(text) or not _NAME_START.match(text[index + 1]):
            continue
        before = text[index - 1] if index else ""
        if before and (before in "=/" or _word_like_ruby(before)):
            continue
        starts.append(index)
    return starts


def x_mentions(text: str) -> list[int]:
    """Where X would mention someone in ``text``: the index of each such at sign.

    twitter-text's rule: ``@`` or ``＠`` followed by a screen-name character
    (a-z, 0-9, _), at the start of the text, after any character but an ASCII
    letter, digit, ``_``, ``!``, ``#``, ``$``, ``%``, ``&``, ``*`` or an at sign, or
    after ``RT`` / ``RT:`` (any case) that itself starts the text or follows none of
    a-z, 0-9, ``_+~.-``. An at sign in the path of a link X recognises is part of
    the link; everywhere else (``http://@bob`` included) it counts.
    """
    in_links = [(m.start(), m.end()) for m in _X_LINK.finditer(text)]
    starts = []
    for index, char in enumerate(text):
        if char not in _X_AT_SIGNS or index + 1 >= len(text):
            continue
        if not _NAME_START.match(text[index + 1]):
            continue
        if any(start < index < end for start, end in in_links):
            continue
        if index and text[index - 1] in _X_NOT_BEFORE and not _after_retweet(text, index):
            continue
        starts.append(index)
    return starts


def _after_retweet(text: str, index: int) -> bool:
    """Whether the at sign at ``index`` follows ``RT`` or ``RT:`` as twitter-text allows."""
    head = text[:index]
    for marker in (head[-3:], head[-2:]):
        if len(marker) >= 2 and marker[:2].lower() == "rt" and marker[2:] in ("", ":"):
            before = head[: len(head) - len(marker)]
            if not before or before[-1] not in _X_NOT_BEFORE_RT:
                return True
    return False


def any_service_mentions(text: str) -> list[int]:
    """The at signs that would start a mention on any service candor knows (the union)."""
    return sorted(set(mastodon_mentions(text)) | set(x_mentions(text)))


def neutralise_mentions(
    text: str,
    replacement: Callable[[str], str],
    *,
    rule: MentionRule = any_service_mentions,
) -> str:
    """``text`` with every at sign that would tag an account, by the service's ``rule``, replaced.

    ``replacement`` gets the at sign and returns what stands in for it (it must not
    itself contain an at sign). ``rule`` is the service's own reading of a mention:
    :func:`mastodon_mentions`, :func:`x_mentions`, or by default any of them. A
    Bluesky post needs none: there, only a mention facet tags anyone.
    """
    pieces: list[str] = []
    position = 0
    for index in rule(text):
        pieces += [text[position:index], replacement(text[index])]
        position = index + 1
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
