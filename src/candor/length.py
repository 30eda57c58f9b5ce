"""Counting a message's length the way each service counts it.

- characters: code points, as Mastodon and most chat services count;
- graphemes: user-perceived characters (``regex``'s ``\\X``), as Bluesky counts, so a
  family emoji joined with zero-width joiners is one;
- weighted: X's count: text normalised to NFC, every URL 23, code points in the
  light ranges 1, every other code point 2.
"""

from __future__ import annotations

import re
import unicodedata

from candor.vocabulary import LengthUnit

__all__ = ["URL", "graphemes", "measure", "weighted_length"]

URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
URL_WEIGHT = 23
_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))


def graphemes(text: str) -> list[str]:
    """``text`` split into extended grapheme clusters."""
    # Here, not at the top: regex costs tens of milliseconds to import, and a process
    # whose channels count characters (or weights) never needs it.
    import regex

    found: list[str] = regex.findall(r"\X", text)
    return found


def _weight(character: str) -> int:
    point = ord(character)
    return 1 if any(low <= point <= high for low, high in _LIGHT) else 2


def weighted_length(text: str) -> int:
    """X's weighted length: NFC, each URL 23, light code points 1 and the rest 2."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for match in URL.finditer(text):
        total += sum(_weight(c) for c in text[position : match.start()]) + URL_WEIGHT
        position = match.end()
    return total + sum(_weight(c) for c in text[position:])


def measure(text: str, unit: LengthUnit | str) -> int:
    """The length of ``text`` in ``unit`` (``characters``, ``graphemes`` or ``weighted``)."""
    if unit == "graphemes":
        return len(graphemes(text))
    if unit == "weighted":
        return weighted_length(text)
    return len(text)
