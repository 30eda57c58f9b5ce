"""Text made safe to show: escapes for a terminal, replacements for XML.

Kept apart from the domain (which re-exports both) so that the CLI can escape
what it prints without loading pydantic. Imports nothing from candor.
"""

from __future__ import annotations

import re

__all__ = ["terminal_safe", "xml_safe"]

# What a terminal must not receive raw: every control character (newline and tab kept
# where the text may have lines), lone surrogates, and the bidirectional controls that
# reorder what is shown.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNPRINTABLE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff{_BIDI}]")
_UNPRINTABLE_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{_BIDI}]")
# What XML 1.0 cannot hold at all (its Char production), so an XML writer must not see it.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def terminal_safe(text: str, *, lines: bool = True) -> str:
    """``text`` with everything a terminal would act on shown as an escape instead.

    ESC, BEL, NUL and every other control character, lone surrogates and the
    bidirectional controls become ``\\x1b``, ``\\u202e`` and the like; newline
    and tab stay when ``lines`` (and are escaped too when not).
    """
    pattern = _UNPRINTABLE if lines else _UNPRINTABLE_ONE_LINE
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    point = ord(match.group())
    return f"\\x{point:02x}" if point <= 0xFF else f"\\u{point:04x}"


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)
