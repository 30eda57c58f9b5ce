"""The :class:`Subject` a rule reads: the text, cut into sentences, with what is known about it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from candor.model import Status

if TYPE_CHECKING:
    from candor.model import Incident

WORD = re.compile(r"[a-z0-9][a-z0-9'’-]*")
# A sentence ends after . ! ? before a space, at a line break, or at an HTML line break,
# which published status updates often carry; not after an abbreviation ("1:31 p.m. Pacific").
_BOUNDARY = re.compile(r"(?<=[.!?])\s+|\n+|<br\s*/?>", re.IGNORECASE)
_ABBREVIATION = re.compile(r"(?:\b[ap]\.m|\be\.g|\bi\.e|\betc|\bapprox|\bvs|\bno|\bca)\.$", re.I)

# -- what the text says about where the incident stands --------------------------------

CLAIMS_RESOLVED = re.compile(
    r"\b(?:(?:is|been|are|now|fully|was)\s+(?:now\s+)?(?:fully\s+)?resolved"
    r"|resolved:|marking the incident resolved|incident is resolved)\b",
    re.IGNORECASE,
)
# The cause is known when the text says it was found, or that the impact was stopped.
CAUSE_FOUND = re.compile(
    r"\b(?:identified|found|determined|confirmed|isolated|traced|pinpointed)\b.{0,40}"
    r"\b(?:cause|issue|problem|bug|fault)\b"
    r"|\b(?:root\s+cause|the\s+cause)\b.{0,30}\b(?:was|is|as|been|to\s+be)\b"
    r"|\bfix(?:es)?\s+(?:has|have)\s+been\s+(?:applied|implemented|deployed|rolled\s+out)"
    r"|\b(?:mitigated|recovered|restored|rolled\s+back|reverted|stabili[sz]ed?)\b",
    re.IGNORECASE | re.DOTALL,
)
STILL_INVESTIGATING = re.compile(
    r"\b(?:investigat\w+\s+(?:the\s+)?(?:impact\s+and\s+)?(?:root\s+)?cause"
    r"|(?:identify|determine|understand|find|establish)\s+the\s+(?:root\s+)?cause"
    r"|(?:cause|root\s+cause)\s+(?:is|remains)\s+(?:still\s+)?(?:unknown|unclear|under\s+"
    r"investigation|not\s+yet\s+(?:known|clear))"
    r"|(?:not\s+yet|have\s+not\s+yet|haven't\s+yet)\s+(?:established|identified|determined|found)"
    r"\s+the\s+(?:root\s+)?cause"
    r"|(?:do|did)\s*(?:not|n['’]t)\s+(?:yet\s+)?know\s+(?:the\s+(?:root\s+)?cause|what|why)"
    r"|cause\s+is\s+not\s+(?:yet\s+)?known|(?:post-?mortem|write-?up|report)\s+will\s+"
    r"(?:explain|describe|cover)\s+(?:the\s+|what\s+)?(?:root\s+)?caus\w*)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Subject:
    """What a rule looks at: the text and, when known, the facts it must agree with."""

    text: str
    incident: Incident | None = None
    status: Status | None = None
    channel: str | None = None
    public: bool = True

    @cached_property
    def lowered(self) -> str:
        return self.text.lower()

    @cached_property
    def words(self) -> frozenset[str]:
        """The text's words, lowercased: rules look here first, and skip their patterns
        when none of their trigger words is present (most honest text trips none)."""
        return frozenset(WORD.findall(self.lowered))

    def has_any(self, triggers: frozenset[str]) -> bool:
        return not self.words.isdisjoint(triggers)

    @cached_property
    def sentences(self) -> list[tuple[int, str]]:
        """(offset, sentence) pairs, in order."""
        pieces = []
        start = 0
        for match in _BOUNDARY.finditer(self.text):
            near = max(0, match.start() - 8)
            if _ABBREVIATION.search(self.text, near, match.start()) and "\n" not in match.group():
                continue
            if self.text[start : match.start()].strip():
                pieces.append((start, self.text[start : match.start()]))
            start = match.end()
        if self.text[start:].strip():
            pieces.append((start, self.text[start:]))
        return pieces or [(0, self.text)]

    def sentence_at(self, index: int) -> tuple[int, int]:
        """The (number, offset) of the sentence holding character ``index``."""
        found = (0, 0)
        for number, (offset, _) in enumerate(self.sentences):
            if offset > index:
                break
            found = (number, offset)
        return found

    @cached_property
    def stage(self) -> Status | None:
        """The status the message speaks for: given, the incident's, or read from the text."""
        if self.status is not None:
            return self.status
        if self.incident is not None:
            return self.incident.status
        if CLAIMS_RESOLVED.search(self.text):
            return Status.RESOLVED
        return None

    @cached_property
    def final(self) -> bool:
        return self.stage is Status.RESOLVED

    @cached_property
    def still_investigating(self) -> bool:
        return bool(STILL_INVESTIGATING.search(self.text))

    @cached_property
    def cause_known(self) -> bool:
        """Whether the cause is known: by status, or because the text says it was found."""
        if self.stage in (Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED):
            return self.final or not self.still_investigating
        return bool(CAUSE_FOUND.search(self.text)) and not self.still_investigating
