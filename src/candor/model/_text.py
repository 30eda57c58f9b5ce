"""The one validator of what people type, and the two ways candor makes text safe to show.

Every free-text field an incident records has a size limit (in characters,
that is Unicode code points) and may hold no control character but newline
and tab; the one-line fields (a title, a component, a region, what the
customers are called, who did something) hold no newline or tab either. A lone
surrogate (half of a UTF-16 pair, which no encoder writes) is refused the same
way. :func:`check_text` refuses with an :class:`~candor.errors.InputError`
naming the field, the limit or the character and where it is; the error never
quotes more than a short head of the text.

Text from a remote service (an imported incident) is not the operator's to
fix, so :func:`clean_text` makes it acceptable instead: each refused character
becomes U+FFFD, and text past the limit is cut with an ellipsis.

For text already recorded (by an older candor that let these through), the
showing side escapes: :func:`terminal_safe` before anything is printed, and
:func:`xml_safe` before anything is written into XML (both from
:mod:`candor._escape`, which the CLI can load without the domain).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from candor._escape import terminal_safe, xml_safe
from candor.errors import InputError

__all__ = [
    "ITEM_LIMITS",
    "ONE_LINE",
    "TEXT_LIMITS",
    "check_items",
    "check_text",
    "clean_text",
    "terminal_safe",
    "xml_safe",
]

TEXT_LIMITS: Mapping[str, int] = MappingProxyType(
    {
        "title": 255,
        "message": 10_000,
        "cause": 2_000,
        "workaround": 2_000,
        "changed": 2_000,
        "prevention": 2_000,
        "component": 100,
        "region": 100,
        "customers": 100,
        "write_up.summary": 2_000,
        "write_up.what_happened": 20_000,
        "write_up.what_we_are_doing": 10_000,
        "write_up.action_item": 500,
        "reason": 1_000,
        "by": 200,
        "organization.name": 200,
    }
)
"""The most characters each kind of field may hold (docs/model.md has the same table)."""

ITEM_LIMITS: Mapping[str, int] = MappingProxyType(
    {"scope.components": 50, "scope.regions": 50, "write_up.action_items": 50}
)
"""The most entries each list field may hold."""

ONE_LINE = frozenset({"title", "component", "region", "customers", "by", "organization.name"})
"""The kinds of field that are one line: newline and tab are refused there too."""

# C0 controls but tab and newline, DEL, C1 controls, lone surrogates, and the two
# noncharacters XML 1.0 forbids: none of them is text a reader should receive.
_REFUSED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_REFUSED_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NAMES = {
    0x00: "NUL",
    0x07: "BEL",
    0x08: "BS",
    0x09: "tab",
    0x0A: "newline",
    0x0B: "VT",
    0x0C: "FF",
    0x0D: "carriage return",
    0x1B: "ESC",
    0x7F: "DEL",
    0x9B: "CSI",
}

_HEAD = 40


def _kind(field: str) -> str:
    """The kind of a field's name: ``scope.components[2]`` is a component."""
    base = re.sub(r"\[\d+\]$", "", field)
    return {
        "scope.components": "component",
        "scope.regions": "region",
        "scope.customers": "customers",
        "write_up.action_items": "write_up.action_item",
        "override.reason": "reason",
        "override.by": "by",
        "closure.reason": "reason",
        "closure.by": "by",
    }.get(base, base)


def _head(text: str) -> str:
    """A short head of ``text`` for an error message; never the whole of a long text."""
    if len(text) <= _HEAD:
        return text
    return f"{text[:_HEAD]}…"


def _describe(char: str) -> str:
    """``U+001B (ESC)``: a character as an error names it."""
    point = ord(char)
    name = _NAMES.get(point)
    if name is None and 0xD800 <= point <= 0xDFFF:
        name = "a lone surrogate"
    elif name is None and point < 0x20:
        name = "a control character"
    return f"U+{point:04X}" + (f" ({name})" if name else "")


def check_text(value: str, field: str, *, limit: int | None = None) -> str:
    """``value`` when ``field`` may hold it; otherwise an InputError saying why.

    The limit is the field's in :data:`TEXT_LIMITS` unless ``limit`` is given.
    The error names the field, and the limit and the size, or the character
    (its code point) and where it is (character, line and column, from 1).
    """
    kind = _kind(field)
    most = limit if limit is not None else TEXT_LIMITS.get(kind)
    if most is not None and len(value) > most:
        raise InputError(
            field,
            _head(value),
            f"is {len(value):,} characters long; the limit is {most:,} (docs/model.md)",
        )
    pattern = _REFUSED_ONE_LINE if kind in ONE_LINE else _REFUSED
    found = pattern.search(value)
    if found is not None:
        at = found.start()
        line = value.count("\n", 0, at) + 1
        column = at - (value.rfind("\n", 0, at) + 1) + 1
        allowed = (
            "it is one line of text"
            if kind in ONE_LINE
            else "only newline and tab are allowed among control characters"
        )
        raise InputError(
            field,
            _head(value),
            f"holds {_describe(found.group())} at character {at + 1} (line {line}, "
            f"column {column}); {allowed}",
        )
    return value


def check_items(values: Iterable[str], field: str) -> None:
    """Check every entry of a list field, and how many there are."""
    entries = tuple(values)
    most = ITEM_LIMITS.get(field)
    if most is not None and len(entries) > most:
        raise InputError(
            field, f"{len(entries)} entries", f"holds {len(entries):,}; the limit is {most:,}"
        )
    for number, entry in enumerate(entries):
        check_text(entry, f"{field}[{number}]")


def clean_text(value: str, field: str, *, fallback: str = "(no text)") -> str:
    """``value`` made acceptable for ``field``: for text candor did not write and cannot refuse.

    Each refused character becomes U+FFFD (one-line fields: newlines and tabs
    become spaces), text past the limit is cut and ends with an ellipsis, and
    text left empty becomes ``fallback``.
    """
    kind = _kind(field)
    if kind in ONE_LINE:
        value = re.sub(r"[\t\r\n]+", " ", value)
    pattern = _REFUSED_ONE_LINE if kind in ONE_LINE else _REFUSED
    cleaned = pattern.sub("\ufffd", value).strip()
    most = TEXT_LIMITS.get(kind)
    if most is not None and len(cleaned) > most:
        cleaned = cleaned[: most - 1].rstrip() + "…"
    return cleaned or fallback
