"""The promise policy at work: warn before a promise breaks, or post an honest holding update.

:class:`PromiseKeeper` reads the ledger (:func:`candor.promises.reminders`) and
does what the organisation's :class:`~candor.policy.Policy` says: under
``warn`` it logs and tells the internal channels, once per reminder however
many watchers run; under ``holding_update`` it posts a holding update on every
channel. It sits just below the facade and is given what it needs (the store,
the policy, the channels and their adapters, the clock, and the facade's
``commit``), so it never imports the facade.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import socket
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from candor import lifecycle
from candor.errors import ConflictError, InputError
from candor.log import get_logger
from candor.model import (
    Incident,
    Organization,
    PromiseKind,
    Reminder,
    ReminderState,
    describe_duration,
)
from candor.policy import OnDue, Policy
from candor.promises import reminders
from candor.typing import Adapter, Clock, Republishing, Store
from candor.vocabulary import Audience, Channel, DeliveryContext, Message

__all__ = ["Commit", "PolicyAction", "PromiseKeeper", "warning_text"]

log = get_logger("candor")

MIN_INTERVAL = timedelta(seconds=1)
"""The shortest wait :meth:`PromiseKeeper.watch` takes between two runs."""

Commit = Callable[[Incident, int], Awaitable[Incident]]
"""Records an incident's newest update (expecting the given version) and delivers it."""

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class PolicyAction:
    """What the promise policy did about one reminder: ``warned`` or ``holding_update``."""

    reminder: Reminder
    action: str
    incident: Incident | None = None


class PromiseKeeper:
    """Runs the promise policy over a store, for the channels of one communicator."""

    def __init__(
        self,
        *,
        store: Store,
        policy: Policy,
        channels: Mapping[str, Channel],
        adapters: Mapping[str, Adapter],
        organization: Organization,
        now: Clock,
        commit: Commit,
    ) -> None:
        self.store = store
        self.policy = policy
        self.channels = channels
        self.adapters = adapters
        self.organization = organization
        self.now = now
        self.commit = commit

    async def overdue(self, now: datetime) -> builtins.list[Reminder]:
        """The reminders at ``now``: see :func:`candor.promises.reminders`."""
        incidents = await asyncio.to_thread(self.store.list)
        made = await asyncio.to_thread(self.store.promises, open_only=False)
        return reminders(incidents, made, now, lead=self.policy.warn_before)

    async def keep(self, now: datetime | None = None) -> builtins.list[PolicyAction]:
        """Run the organisation's policy once over every reminder; returns what this process did.

        With ``holding_update`` an open incident whose next update is due soon (or
        late) gets an honest holding update on every channel; the incident's version
        check elects one writer when two watchers race, and the other sees the
        promise kept. Everything else (a write-up, a channel still owed an update,
        and every reminder under ``warn``) is warned about, once: the store records
        who warned, so a second watcher does not warn again.
        """
        moment = now if now is not None else self.now()
        done: builtins.list[PolicyAction] = []
        for reminder in await self.overdue(moment):
            holding = (
                self.policy.on_due is OnDue.HOLDING_UPDATE
                and reminder.kind is PromiseKind.NEXT_UPDATE
                and reminder.channel is None
            )
            if holding:
                posted = await self._post_holding(reminder, moment)
                if posted is not None:
                    done.append(PolicyAction(reminder, "holding_update", posted))
                continue
            key = f"{reminder.key}/{reminder.state.value}"
            won = await asyncio.to_thread(
                self.store.claim_reminder, key, holder=_holder(), at=moment
            )
            if won:
                await self._warn(reminder, moment)
                done.append(PolicyAction(reminder, "warned"))
        await self._republish(moment)
        return done

    async def _republish(self, now: datetime) -> None:
        """Let pages that show promises show the ones that passed since they were written."""
        for name, adapter in self.adapters.items():
            if not isinstance(adapter, Republishing):
                continue
            try:
                if await adapter.republish(now, self.organization):
                    log.info("page_republished", channel=name)
            except Exception as exc:  # a page that cannot be written never stops the watch
                log.error("republish_failed", channel=name, error=str(exc))

    async def watch(
        self,
        *,
        interval: timedelta = timedelta(minutes=1),
        ticks: int | None = None,
        duration: timedelta = timedelta(hours=24),
        stop: threading.Event | None = None,
        sleep: Sleep | None = None,
        on_action: Callable[[PolicyAction], None] | None = None,
    ) -> builtins.list[PolicyAction]:
        """Run :meth:`keep` every ``interval`` until ``ticks`` runs, ``duration``, or ``stop``.

        ``interval`` is at least one second. Bounded by design: it ends after
        ``ticks`` runs when given, and in any case once ``duration`` (default 24
        hours) has passed on the communicator's clock, or as soon as ``stop`` is
        set. ``sleep`` is how it waits (tests pass one that moves their clock).
        Two watchers on two hosts sharing a store are safe: see
        :meth:`keep`.
        """
        if interval < MIN_INTERVAL:
            # Shorter runs would hammer the store and every channel for nothing:
            # promises are kept to the minute.
            raise InputError("interval", interval, "must be at least 1 second")
        if ticks is not None and (isinstance(ticks, bool) or not isinstance(ticks, int)):
            raise InputError("ticks", ticks, "must be a whole number of runs, or None")
        if ticks is not None and ticks < 1:
            raise InputError("ticks", ticks, "must be at least 1")
        stop = stop or threading.Event()
        wait = sleep or _interruptible(stop)
        deadline = self.now() + duration
        done: builtins.list[PolicyAction] = []
        runs = 0
        while not stop.is_set():
            for action in await self.keep():
                done.append(action)
                if on_action is not None:
                    on_action(action)
            runs += 1
            if (ticks is not None and runs >= ticks) or self.now() >= deadline or stop.is_set():
                break
            await wait(interval.total_seconds())
        log.info("watch_stopped", runs=runs, actions=len(done))
        return done

    async def _post_holding(self, reminder: Reminder, now: datetime) -> Incident | None:
        current = await asyncio.to_thread(self.store.get, reminder.incident_id)
        if not current.is_open or current.latest.id != reminder.update_id:
            return None  # kept meanwhile, by a person or by another watcher
        planned = lifecycle.hold(current, self.policy, now)
        try:
            incident = await self.commit(planned, current.version)
        except ConflictError:
            log.info("holding_update_done_elsewhere", incident_id=current.id)
            return None
        log.warning(
            "holding_update_posted",
            incident_id=current.id,
            promised_by=str(reminder.due_at),
            next_update_by=str(planned.next_update_by),
        )
        return incident

    async def _warn(self, reminder: Reminder, now: datetime) -> None:
        event = "promise_broken" if reminder.state is ReminderState.BROKEN else "promise_due_soon"
        log.warning(
            event,
            incident_id=reminder.incident_id,
            kind=reminder.kind.value,
            due_at=str(reminder.due_at),
            channel=reminder.channel,
        )
        names = self.policy.warn_channels
        if names is None:
            names = tuple(n for n, c in self.channels.items() if c.audience is Audience.INTERNAL)
        if not names:
            return
        incident = await asyncio.to_thread(self.store.get, reminder.incident_id)
        update = incident.latest
        text = warning_text(reminder, incident, now)
        for name in names:
            adapter = self.adapters.get(name)
            if adapter is None:
                continue
            message = Message(
                channel=name,
                form=adapter.capabilities.form,
                title=incident.title,
                text=text,
                incident_id=incident.id,
                update_id=update.id,
                seq=update.seq,
                status=incident.status,
                next_update_by=incident.next_update_by,
            )
            context = DeliveryContext(
                channel=name,
                incident=incident,
                update=update,
                idempotency_key=f"candor-reminder:{reminder.key}:{reminder.state.value}:{name}",
                organization=self.organization,
                now=now,
            )
            try:
                await adapter.post(message, context)
            except Exception as exc:  # a warning that fails is logged; it never stops the watch
                log.error("promise_warning_failed", channel=name, error=str(exc))


def warning_text(reminder: Reminder, incident: Incident, now: datetime) -> str:
    """The internal warning about one reminder: what was promised, by when, what to do."""
    what = "next update" if reminder.kind is PromiseKind.NEXT_UPDATE else "write-up"
    due = f"{reminder.due_at:%H:%M} UTC"
    where = f" on channel {reminder.channel}" if reminder.channel else ""
    if reminder.state is ReminderState.BROKEN:
        late = max(now - reminder.due_at, timedelta(0))
        head = f"The {what} for {incident.id} ({incident.title}) was promised by {due}{where} "
        head += (
            "and is late as of just now."
            if late < timedelta(minutes=1)
            else (f"and is {describe_duration(late)} late.")
        )
    else:
        left = max(reminder.due_at - now, timedelta(0))
        head = f"The {what} for {incident.id} ({incident.title}) is promised by {due}: "
        head += f"{describe_duration(left)} left."
    if reminder.channel:
        todo = f"Run `candor deliver`, or fix the channel {reminder.channel}."
    elif reminder.kind is PromiseKind.POSTMORTEM:
        todo = f"Publish it with `candor postmortem {incident.id}`."
    else:
        todo = f"Post it with `candor update {incident.id} -m ...`, even if nothing is new."
    return f"{head} {todo}"


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _interruptible(stop: threading.Event) -> Sleep:
    async def sleep(seconds: float) -> None:
        # Wake at least once a second, so that setting ``stop`` ends the watch promptly.
        remaining = seconds
        while remaining > 0 and not stop.is_set():
            step = min(remaining, 1.0)
            await asyncio.sleep(step)
            remaining -= step

    return sleep
