"""Delivery: draining the outbox to the channels, concurrently, in order, once.

:class:`Courier` claims the head row of each (incident, channel) from the
store (``in_flight``, under a claim token and a lease, so two delivering
processes never send the same row), then delivers every claimed row at once,
each (incident, channel) in order: update 3 never overtakes update 2 on the
same channel, and one slow or failing channel never delays the others.

Each row is tried with tenacity, classified by the error it gets
(:class:`~candor.errors.DeliveryError`, see :mod:`candor.adapters.http`):

- refused (``retryable=False``: 400, 401, 403, 404, 413...): failed for good,
  never retried;
- not sent (a connection error before the request left): retried at once;
- maybe delivered (a read timeout, a 5xx): retried at once only where the
  service deduplicates by idempotency key (``Capabilities.idempotency``);
  otherwise it goes back to the outbox, and the next attempt reconciles first
  where the adapter can (:class:`~candor.adapters.base.Reconciling`);
- told to wait (429, 503 with ``Retry-After``): waits as told when that is
  within ``max_wait`` and the deadline; a longer wait goes back to the outbox
  with ``next_attempt_at`` rather than sleeping, never later than
  ``max_retry_after`` from now (a wait of ``inf``, ``nan`` or below zero is
  read as the kit reads a service's: see :func:`._tries.announced_wait`).

An exception that escapes one row's delivery or settlement is that row's
alone: it goes back to the outbox, maybe sent, and every other channel's
outcome is recorded as it settles. A row another live process holds is
reported as being delivered by it (:attr:`Outcome.elsewhere`).

Waits between tries are jittered exponential backoff; the tries of one row
stop at ``max_attempts`` or its ``deadline``, and a row still owed then waits
in the outbox (``retry``) for ``deliver_pending()``. Cancellation is never
retried. Every attempt is one log event, ``delivery_attempt``, with the
channel, incident, update, attempt, outcome and latency, and no secret; each
claim is a debug event, ``outbox_claimed``, and each outcome once committed is
one, ``outcome_recorded``.

The modules: :mod:`._settings` (what delivery is told and reports),
:mod:`._courier` (claims, fan-out, group commit, one row's tries) and
:mod:`._tries` (classifying a failed try, the deadline, the incident as read).
"""

from __future__ import annotations

from candor.delivery._courier import Courier, deliver
from candor.delivery._settings import Clock, DeliverySettings, Outcome, Sleep, TokenBucket
from candor.vocabulary import idempotency_key  # where delivery's users have always found it

__all__ = [
    "Clock",
    "Courier",
    "DeliverySettings",
    "Outcome",
    "Sleep",
    "TokenBucket",
    "deliver",
    "idempotency_key",
]
