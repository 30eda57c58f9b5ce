"""Counting a message's length the way each service counts it.

- characters: code points, as Mastodon and most chat services count;
- graphemes: user-perceived characters (``regex``'s ``\\X``), as Bluesky counts, so a
  family emoji joined with zero-width joiners is one;
- weighted: X's count: text normalised to NFC, every URL 23, code points in the
  light ranges 1, every other code point 2.

A URL, for X's count and Mastodon's (both give every link 23 characters, X as
the length of its t.co link, Mastodon as ``characters_reserved_per_url``), is
``http://`` or ``https://`` and what follows up to a space, ``<``, ``>`` or ``"``,
less any punctuation at its end: both services end a link at its last letter,
digit or ``/ # + - _``, so the apostrophe in ``/it's-down`` is inside the link and
the full stop after ``https://status.example.com.`` is not (it counts as text).
Where the services are subtler (X's balanced parentheses, a trailing ``=``), this
counts the character as text: one more than the service, not one fewer. Not
counted as a link: a bare domain with no ``http(s)://``, which X links too.
``candor.testing`` counts independently, as the fakes' oracle, and a property
test holds the two to the same answer.
"""

from __future__ import annotations

import re
import unicodedata

from candor.vocabulary import LengthUnit

__all__ = ["URL", "graphemes", "measure", "weighted_length"]

URL = re.compile(r"https?://[^\s<>\"]*[\w/#+\-]", re.IGNORECASE)
"""A link as X and Mastodon count it (see the module docstring)."""
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
