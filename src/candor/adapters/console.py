"""``console``: prints each message to standard output (or standard error).

Needs no credentials. Useful beside a runbook, and as the embedded default so
that a first run shows what would be said.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from candor.adapters.base import parse_settings
from candor.vocabulary import Capabilities, Channel, DeliveryContext, Form, Receipt

if TYPE_CHECKING:
    import httpx

    from candor.vocabulary import Message

__all__ = ["ConsoleAdapter"]


class ConsoleSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stream: Literal["stdout", "stderr"] = "stdout"
    form: Form = Form.LONG


class ConsoleAdapter:
    """Prints messages with a one-line header naming the channel, status and incident."""

    def __init__(self, channel: Channel, *, client: httpx.AsyncClient, base_dir: Path) -> None:
        self.channel = channel
        self.settings = parse_settings(ConsoleSettings, channel)
        self.capabilities = Capabilities(form=self.settings.form, idempotency=False)

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        stream = sys.stdout if self.settings.stream == "stdout" else sys.stderr
        header = (
            f"── {self.channel.name} · {message.status.value} · {message.title} "
            f"({message.incident_id}, update {message.seq}) "
        )
        stream.write(f"{header}{'─' * max(0, 78 - len(header))}\n{message.text}\n\n")
        stream.flush()
        return Receipt(channel=self.channel.name, remote_id=message.update_id)

    async def aclose(self) -> None:
        return None
