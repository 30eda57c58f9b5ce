"""``console``: prints each message to standard output (or standard error).

Needs no credentials. Useful beside a runbook, and as the embedded default so
that a first run shows what would be said.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from candor.adapters import Capabilities, Form, Receipt, ServiceAdapter, terminal_safe

if TYPE_CHECKING:
    from candor.adapters import DeliveryContext, Message

__all__ = ["ConsoleAdapter"]


class ConsoleSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stream: Literal["stdout", "stderr"] = "stdout"
    form: Form = Form.LONG


class ConsoleAdapter(ServiceAdapter[ConsoleSettings]):
    """Prints messages with a one-line header naming the channel, status and incident.

    Nothing reaches the terminal raw: control characters and escape sequences in
    the text (which candor refuses today, but an older candor recorded) are
    printed as escapes such as ``\\x1b``, so no text can drive the terminal.
    """

    settings_model = ConsoleSettings
    capabilities = Capabilities(form=Form.LONG, idempotency=False)

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        stream = sys.stdout if self.settings.stream == "stdout" else sys.stderr
        header = (
            f"── {self.channel.name} · {message.status.value} · "
            f"{terminal_safe(message.title, lines=False)} "
            f"({message.incident_id}, update {message.seq}) "
        )
        stream.write(f"{header}{'─' * max(0, 78 - len(header))}\n{terminal_safe(message.text)}\n\n")
        stream.flush()
        return Receipt(channel=self.channel.name, remote_id=message.update_id)
