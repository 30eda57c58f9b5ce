"""What a check reports: a :class:`Finding` with a :class:`Severity`.

These two names travel through every layer (a rendered message carries its
findings, an error lists them), so this module imports nothing of candor.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    """How much a finding weighs: an error blocks delivery, a warning is shown and never blocks."""

    ERROR = "error"
    WARNING = "warning"


class Finding(BaseModel):
    """One thing a message says that it should not, or fails to say.

    ``excerpt`` is the words that triggered it (``text[start:end]``), ``message``
    says what they do to the reader, ``why`` why that counts, and ``suggestion``
    what to write instead.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    severity: Severity
    start: int
    end: int
    excerpt: str
    message: str
    suggestion: str
    why: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def position(self, text: str) -> tuple[int, int]:
        """1-based (line, column) of the finding's start in ``text``."""
        line = text.count("\n", 0, self.start) + 1
        column = self.start - (text.rfind("\n", 0, self.start) + 1) + 1
        return line, column
