"""Assertions over an :class:`~candor.testing.Outbox` that fail with a readable diff."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from candor.testing.memory import Outbox, PostedMessage

if TYPE_CHECKING:
    from candor.model import Incident
    from candor.vocabulary import Message

__all__ = ["assert_candid", "assert_consistent", "assert_posted"]


def _diff(expected: Sequence[str], actual: Sequence[str], *, names: tuple[str, str]) -> str:
    lines = difflib.unified_diff(
        [f"{line}\n" for line in expected],
        [f"{line}\n" for line in actual],
        fromfile=names[0],
        tofile=names[1],
    )
    return "".join(lines).rstrip("\n")


def _block(index: int, text: str) -> list[str]:
    lines = text.splitlines() or [""]
    return [f"[{index}] {lines[0]}", *(f"    {line}" for line in lines[1:])]


def assert_posted(outbox: Outbox, channel: str, expected: Sequence[str]) -> None:
    """``channel`` took exactly ``len(expected)`` messages, each equal to or containing its entry.

    On failure the error shows a unified diff of what was expected against
    what the channel took (an entry that matched is shown as expected).
    """
    if isinstance(expected, str):
        raise TypeError("expected is a list of texts or substrings, one per message")
    posted = outbox.texts(channel)
    matched = len(posted) == len(expected) and all(
        want == got or want in got for want, got in zip(expected, posted, strict=True)
    )
    if matched:
        return
    want_lines: list[str] = []
    got_lines: list[str] = []
    for index in range(max(len(expected), len(posted))):
        want = expected[index] if index < len(expected) else None
        got = posted[index] if index < len(posted) else None
        if want is not None:
            want_lines += _block(index + 1, want)
        if got is not None:
            shown = want if want is not None and want in got else got
            got_lines += _block(index + 1, shown)
    diff = _diff(want_lines, got_lines, names=("expected", f"posted to {channel}"))
    raise AssertionError(
        f"channel {channel!r} took {len(posted)} message(s), expected {len(expected)} "
        f"matching the entries below:\n{diff}"
    )


def _facts(message: PostedMessage) -> str:
    when = message.next_update_by.isoformat() if message.next_update_by else "none (final)"
    return f"status {message.status.value}, next update {when}"


def assert_consistent(
    outbox: Outbox, incident_id: str | None = None, *, complete: bool = True
) -> None:
    """Every channel got the same status and next-update time for each update.

    The first channel (in the order the outbox set them up) is the reference
    the others are compared with.

    With ``complete`` (the default) every channel that carried an incident also
    carried each of its updates: none went quiet part way. ``incident_id``
    limits the check to one incident.
    """
    chosen = outbox if incident_id is None else outbox.for_incident(incident_id)
    messages = list(chosen)
    by_update: dict[tuple[str, int], dict[str, PostedMessage]] = defaultdict(dict)
    channels_of: dict[str, list[str]] = defaultdict(list)
    order = {name: index for index, name in enumerate(outbox.channels)}
    for message in messages:
        by_update[(message.incident_id, message.seq)].setdefault(message.channel, message)
        if message.channel not in channels_of[message.incident_id]:
            channels_of[message.incident_id].append(message.channel)
    for names in channels_of.values():
        names.sort(key=lambda name: order.get(name, len(order)))  # deliveries race; this does not
    problems: list[str] = []
    for (incident, seq), per_channel in sorted(by_update.items()):
        names = channels_of[incident]
        first = per_channel[next(name for name in names if name in per_channel)]
        expected = [f"{name}: {_facts(first)}" for name in names]
        actual = [
            f"{name}: {_facts(per_channel[name])}" if name in per_channel else f"{name}: nothing"
            for name in names
        ]
        if not complete:
            expected = [
                line for line, name in zip(expected, names, strict=True) if name in per_channel
            ]
            actual = [line for line in actual if not line.endswith(": nothing")]
        if expected != actual:
            problems.append(
                f"{incident} update {seq}:\n"
                + _diff(expected, actual, names=("the same facts everywhere", "what was posted"))
            )
    if problems:
        raise AssertionError("channels disagree:\n" + "\n".join(problems))


def assert_candid(
    text: str | Message | PostedMessage,
    *,
    incident: Incident | None = None,
    status: str | None = None,
    strict: bool = False,
) -> None:
    """The text passes :func:`candor.check`: no error finding (no finding at all with ``strict``).

    ``incident`` checks the facts against it; ``status`` is the status the text
    speaks for (default: the incident's, or read from the text). The failure lists
    each finding with its code, excerpt and suggestion, and quotes the text.
    """
    from candor.checks import check

    body = text if isinstance(text, str) else text.text
    findings = check(body, incident=incident, status=status)
    blocking = [f for f in findings if strict or f.is_error]
    if blocking:
        listed = "\n".join(
            f"- {f.severity.value} {f.code}: {f.message} (suggestion: {f.suggestion})"
            for f in blocking
        )
        quoted = "\n".join(f"  | {line}" for line in body.splitlines())
        raise AssertionError(f"the text is not candid:\n{listed}\nin:\n{quoted}")
