"""The recipient ledger a :class:`~candor.typing.Fanning` adapter is handed for one attempt.

One outbox row of an email channel owes its update to many people. The adapter's
connections ask :class:`StoreLedger` for the next recipient, saying what happened
to the last; the calls that arrive together are one store transaction
(:meth:`~candor.typing.SubscriberStore.advance_recipients`), so ten connections
cost one commit per round, not ten. A recipient is recorded sent before its
connection is handed the next one: a kill at any instant leaves at most the one
message each connection had in flight unrecorded, and that one goes again.
"""

from __future__ import annotations

import asyncio
import builtins
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from candor.delivery._settings import TokenBucket
from candor.typing import SubscriberStore
from candor.vocabulary import Recipient, RecipientOutcome

__all__ = ["StoreLedger"]

T = TypeVar("T")
StoreCall = Callable[..., Awaitable[Any]]


class StoreLedger:
    """The recipients of one outbox row, handed out one at a time under a token of this attempt.

    ``call`` runs a store method off the event loop (the courier's store thread);
    ``bucket``, when the channel has a rate limit, paces the recipients handed out,
    so the limit counts messages, not rows.
    """

    def __init__(
        self,
        store: SubscriberStore,
        item_id: int,
        call: StoreCall,
        *,
        bucket: TokenBucket | None = None,
    ) -> None:
        self._store = store
        self._item_id = item_id
        self._call = call
        self._bucket = bucket
        self.token = uuid.uuid4().hex
        self._waiting: builtins.list[
            tuple[RecipientOutcome | None, asyncio.Future[str | None]]
        ] = []
        self._runner: asyncio.Task[None] | None = None

    async def next(self, settled: RecipientOutcome | None = None) -> str | None:
        """Record ``settled``, then the next address owed, or None when this attempt is done."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()
        self._waiting.append((settled, future))
        if self._runner is None or self._runner.done():
            self._runner = loop.create_task(self._run())
        address = await future
        if address is not None and self._bucket is not None:
            await self._bucket.take()
        return address

    async def recipients(self) -> builtins.list[Recipient]:
        """Every recipient of the row and where each stands."""
        found: builtins.list[Recipient] = await self._call(self._store.recipients, self._item_id)
        return found

    async def _run(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                addresses: builtins.list[str] = await self._call(
                    self._store.advance_recipients,
                    self._item_id,
                    token=self.token,
                    settled=[settled for settled, _ in batch if settled is not None],
                    take=len(batch),
                )
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            except BaseException:
                for _, future in batch:
                    future.cancel()
                raise
            for position, (_, future) in enumerate(batch):
                if not future.done():
                    future.set_result(addresses[position] if position < len(addresses) else None)
