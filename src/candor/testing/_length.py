"""Counting a message's length the way each service counts it."""

from __future__ import annotations

import re
import unicodedata

from candor.vocabulary import LengthUnit

__all__ = ["count", "graphemes", "weighted_length"]

_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
URL_WEIGHT = 23
# X counts these code point ranges as one; everything else (CJK, emoji...) as two.
_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters), as Bluesky counts them."""
    import regex

    return len(regex.findall(r"\X", text))


def weighted_length(text: str) -> int:
    """X's weighted length: NFC first, every URL 23, light code points 1, the others 2."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for match in _URL.finditer(text):
        total += _weigh(text[position : match.start()]) + URL_WEIGHT
        position = match.end()
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
