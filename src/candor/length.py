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
from collections.abc import Iterator

from candor.vocabulary import LengthUnit

__all__ = ["URL", "grapheme_ends", "graphemes", "measure", "weighted_length"]

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


def grapheme_ends(text: str) -> Iterator[int]:
    """Where each extended grapheme cluster of ``text`` ends, one at a time, in order."""
    import regex  # here, not at the top: see graphemes()

    for match in regex.finditer(r"\X", text):
        yield match.end()


_HEAVY = re.compile(
    "[^" + "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in _LIGHT) + "]"
)


def _weight(text: str) -> int:
    # Every code point counts 1, and the heavy ones 1 more: counted by the regex engine,
    # in one pass, so a long text costs no Python loop per character.
    return 2 * len(text) - len(_HEAVY.sub("", text))


def weighted_length(text: str) -> int:
    """X's weighted length: NFC, each URL 23, light code points 1 and the rest 2."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for match in URL.finditer(text):
        total += _weight(text[position : match.start()]) + URL_WEIGHT
        position = match.end()
    return total + _weight(text[position:])


def measure(text: str, unit: LengthUnit | str) -> int:
    """The length of ``text`` in ``unit`` (``characters``, ``graphemes`` or ``weighted``)."""
    if unit == "graphemes":
        return sum(1 for _ in grapheme_ends(text))  # counted, not listed: text may be long
    if unit == "weighted":
        return weighted_length(text)
    return len(text)
