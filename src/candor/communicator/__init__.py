"""The facade runbooks call: open, update, resolve and reopen incidents, and say so everywhere.

:class:`AsyncCommunicator` does the work; :class:`Communicator` is the same API
for code that is not async (it runs the async one on a private event loop, as
httpx pairs ``Client`` with ``AsyncClient``, and repeats every signature so
that editors and mypy see them).

The facade only orchestrates. Each mutation reads the incident, asks
:mod:`candor.lifecycle` for its next state, composes one checked message per
channel (:mod:`candor.compose`), records the update, its promises and the
outbox in one transaction, and only then delivers (:mod:`candor.delivery`).
The promise policy runs in :class:`~candor.keeper.PromiseKeeper`, which is
handed this facade's commit; the ledger and the scorecard are pure modules.

The async facade is in ``_async``, the sync door in ``_sync``; import both from
here.
"""

from __future__ import annotations

from candor.communicator._async import AsyncCommunicator
from candor.communicator._sync import Communicator

__all__ = ["AsyncCommunicator", "Communicator"]
