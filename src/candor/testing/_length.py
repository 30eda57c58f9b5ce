"""Counting a message's length as each service documents it: the oracle of the fakes.

This is written apart from ``candor.length`` on purpose, from the services'
rules rather than from candor's code, so that a fake holding candor to a limit
does not share candor's mistakes; a property test
(``tests/test_length.py``) holds the two to the same answers.

- Mastodon counts characters (code points), every link as
  ``characters_reserved_per_url`` (23, published at ``GET /api/v2/instance``);
- X counts NFC code points by weight, 1 in its light ranges (U+0000-10FF,
  U+2000-200D, U+2010-201F, U+2032-2037) and 2 elsewhere, every link as 23,
  the length of a t.co link;
- Bluesky counts graphemes (extended grapheme clusters; the post lexicon's
  ``maxGraphemes``).

A link starts at ``http://`` or ``https://`` and runs to the next space, ``<``,
``>`` or ``"``; it ends at its last letter, digit or one of ``/ # + - _``, so an
apostrophe inside it belongs to it and punctuation after it does not.
"""

from __future__ import annotations

import unicodedata

from candor.vocabulary import LengthUnit

__all__ = ["URL_WEIGHT", "count", "graphemes", "links", "weighted_length", "with_links_as"]

URL_WEIGHT = 23
_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_STOPS = frozenset('<>"')
_MAY_END = frozenset("/#+-_")


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters), as Bluesky counts them."""
    import regex

    return len(regex.findall(r"\X", text))


def _ends_a_link(character: str) -> bool:
    return character.isalnum() or character in _MAY_END


def links(text: str) -> list[tuple[int, int]]:
    """Where the links in ``text`` are, as (start, end) offsets, left to right."""
    found: list[tuple[int, int]] = []
    position = 0
    while True:
        separator = text.find("://", position)
        if separator < 0:
            return found
        after_scheme = separator + 3
        # The scheme, in any case: "https" or "http" right before the separator.
        if text[max(position, separator - 5) : separator].lower() == "https":
            start = separator - 5
        elif text[max(position, separator - 4) : separator].lower() == "http":
            start = separator - 4
        else:
            position = separator + 1
            continue
        end = after_scheme
        while end < len(text) and not text[end].isspace() and text[end] not in _STOPS:
            end += 1
        while end > after_scheme and not _ends_a_link(text[end - 1]):
            end -= 1
        if end == after_scheme:  # nothing after the scheme that a link may end on
            position = separator + 1
            continue
        found.append((start, end))
        position = end


def with_links_as(text: str, placeholder: str) -> str:
    """``text`` with every link replaced by ``placeholder``."""
    pieces: list[str] = []
    position = 0
    for start, end in links(text):
        pieces += [text[position:start], placeholder]
        position = end
    return "".join(pieces) + text[position:]


def weighted_length(text: str) -> int:
    """X's weighted length: NFC first, every link 23, light code points 1, the others 2."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for start, end in links(text):
        total += _weigh(text[position:start]) + URL_WEIGHT
        position = end
    return total + _weigh(text[position:])


def _weigh(text: str) -> int:
    return sum(1 if any(lo <= ord(ch) <= hi for lo, hi in _LIGHT) else 2 for ch in text)


def count(text: str, unit: LengthUnit) -> int:
    """``text``'s length in ``unit``."""
    if unit is LengthUnit.GRAPHEMES:
        return graphemes(text)
    if unit is LengthUnit.WEIGHTED:
        return weighted_length(text)
    return len(text)
