"""The async facade: :class:`AsyncCommunicator`, the API runbooks call."""

from __future__ import annotations

import asyncio
import builtins
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from candor import compose, lifecycle
from candor.communicator._core import checked_id
from candor.communicator._find import lookup, only_open
from candor.communicator._people import Subscriptions
from candor.delivery import Outcome
from candor.errors import CandorError, ConfigError, IncidentNotFound, InputError, PromiseError
from candor.importing import import_incidents
from candor.keeper import PolicyAction
from candor.log import get_logger
from candor.model import (
    ActionItem,
    ActionStatus,
    Incident,
    Reminder,
    Scope,
    Status,
    UpdateKind,
    WriteUp,
    parse_duration,
    parse_when,
)
from candor.promises import channels_that_carried, told_anyone
from candor.scorecard import Scorecard, scorecard
from candor.typing import Refreshing
from candor.vocabulary import Audience, Message

__all__ = ["AsyncCommunicator"]

log = get_logger("candor")


class AsyncCommunicator(Subscriptions):
    """Speaks for an organisation on its channels, with its store and policy.

    With no arguments it is the embedded default, in the working directory: a
    SQLite file ``candor.db``, a static status page in ``site/`` and the console.
    ``channels`` are :class:`~candor.adapters.Channel` entries (an adapter's
    registered name and its settings, or an adapter instance); ``store`` is a
    Store or a store URL; ``clock`` returns the current time, timezone-aware.
    ``delivery`` sets how hard delivery tries (:class:`~candor.delivery.DeliverySettings`);
    ``sleep`` is how it waits (tests pass one that moves their clock);
    ``on_outcome`` is called with each row's :class:`~candor.delivery.Outcome` as it settles.
    ``client`` is the shared ``httpx.AsyncClient``; by default one is made with
    a connection pool sized for fanning out to hundreds of channels at once,
    honouring the environment's proxies, as ``http`` (``[http]`` in candor.toml,
    :class:`~candor.config.HTTPSettings`) says.

    A channel whose settings name an environment variable that is not set
    (:attr:`Channel.unset <candor.vocabulary.Channel.unset>`) is *unconfigured*:
    ``unconfigured`` maps its name to why, it has no adapter, and every update
    records what it is owed without sending it; the other channels deliver as
    usual, and :meth:`deliver_pending` catches it up once the variable is set.
    ``capabilities`` are every channel's, configured or not.
    """

    # -- the public API ------------------------------------------------------------------

    async def open(
        self,
        title: str,
        scope: Scope | Mapping[str, Any],
        message: str,
        *,
        status: Status | str = Status.INVESTIGATING,
        impact: str | None = None,
        next_update_in: object = None,
        started_at: datetime | str | None = None,
        cause: str | None = None,
        workaround: str | None = None,
        allow: Iterable[str] = (),
        reason: str | None = None,
        channels: Iterable[str] | None = None,
    ) -> Incident:
        """Open an incident and tell every channel; returns it as recorded, with deliveries.

        ``next_update_in`` defaults to the policy's cadence for the impact;
        ``impact`` defaults to what the scope implies, and may not understate it.
        Every message is checked first: a check error raises CheckError and
        nothing is stored or sent, unless its code is in ``allow`` with a
        ``reason``, which is recorded on the timeline. ``channels`` names the
        only channels to tell (recorded on the update; later updates keep it).
        """
        incident = lifecycle.open_incident(
            self.policy,
            self.now(),
            title=title,
            scope=scope,
            message=message,
            status=status,
            impact=impact,
            next_update_in=next_update_in,
            started_at=started_at,
            cause=cause,
            workaround=workaround,
            channels=self._chosen(channels),
        )
        return await self._commit(incident, expected_version=None, allow=allow, reason=reason)

    async def update(
        self,
        incident_id: str,
        *,
        message: str,
        status: Status | str | None = None,
        scope: Scope | Mapping[str, Any] | None = None,
        impact: str | None = None,
        next_update_in: object = None,
        cause: str | None = None,
        workaround: str | None = None,
        allow: Iterable[str] = (),
        reason: str | None = None,
        channels: Iterable[str] | None = None,
    ) -> Incident:
        """Record a new update on an open incident and tell every channel.

        Status may move forward or back (recorded as a back-step); resolving
        goes through :meth:`resolve`. Raises ConflictError if another writer
        changed the incident meanwhile, and CheckError as :meth:`open` does.
        ``channels`` names the only channels to tell; by default the update goes
        where the previous one went.
        """
        return await self._change(
            incident_id,
            kind=UpdateKind.UPDATE,
            message=message,
            status=status,
            scope=scope,
            impact=impact,
            next_update_in=next_update_in,
            cause=cause,
            workaround=workaround,
            allow=allow,
            reason=reason,
            channels=self._chosen(channels),
        )

    async def resolve(
        self,
        incident_id: str,
        *,
        message: str,
        cause: str | None = None,
        changed: str | None = None,
        prevention: str | None = None,
        postmortem_by: datetime | str | None = None,
        ended_at: datetime | str | None = None,
        refuse_if_untold: bool = False,
        allow: Iterable[str] = (),
        reason: str | None = None,
        channels: Iterable[str] | None = None,
    ) -> Incident:
        """Resolve the incident on every channel.

        ``cause`` is what caused it (the one named earlier is kept if not given),
        ``changed`` what was done to fix it, ``prevention`` what will stop it
        happening again, and ``postmortem_by`` promises the write-up by a date.
        ``ended_at`` is when the impact ended, when that was before now (the fix
        held from 19:00, and this resolution comes at 19:35): the published window,
        on the page, in the messages, the feed, the summary and the scorecard, runs
        from the incident's ``started_at`` to it. Not given, it ended now.

        The resolution goes to every configured channel, including those whose
        earlier deliveries failed and those added mid-incident. An incident no
        channel ever received is resolved with a warning, or refused with
        PromiseError when ``refuse_if_untold``; a channel that carried an update
        but is no longer configured is named in a warning, since it cannot hear
        the ending. When updates went to only some channels, the resolution goes
        to every channel any of them went to; ``channels`` may name more, but one
        that leaves out a channel that carried the incident raises PromiseError.
        """
        chosen = self._chosen(channels)
        current = await self._current(incident_id)
        if not told_anyone(current):
            if refuse_if_untold:
                raise PromiseError(
                    incident_id,
                    "no channel has received any update of this incident; tell customers "
                    "it exists (`candor deliver`) before telling them it is over",
                )
            log.warning("resolved_untold", incident_id=incident_id)
        unreachable = [c for c in channels_that_carried(current) if c not in self.channels]
        if unreachable:
            log.warning("resolution_cannot_reach", incident_id=incident_id, channels=unreachable)
        return await self._change(
            incident_id,
            kind=UpdateKind.RESOLVE,
            message=message,
            cause=cause,
            changed=changed,
            prevention=prevention,
            postmortem_by=postmortem_by,
            ended_at=ended_at,
            allow=allow,
            reason=reason,
            channels=chosen,
        )

    async def reopen(
        self,
        incident_id: str,
        *,
        message: str,
        status: Status | str = Status.INVESTIGATING,
        scope: Scope | Mapping[str, Any] | None = None,
        impact: str | None = None,
        next_update_in: object = None,
        workaround: str | None = None,
        allow: Iterable[str] = (),
        reason: str | None = None,
        channels: Iterable[str] | None = None,
    ) -> Incident:
        """Reopen a resolved incident: the problem is back, and the customers hear it.

        ``channels`` as for :meth:`update`.
        """
        return await self._change(
            incident_id,
            kind=UpdateKind.REOPEN,
            message=message,
            status=status,
            scope=scope,
            impact=impact,
            next_update_in=next_update_in,
            workaround=workaround,
            allow=allow,
            reason=reason,
            channels=self._chosen(channels),
        )

    async def correct(
        self,
        incident_id: str,
        *,
        update: int,
        message: str,
        reason: str,
        allow: Iterable[str] = (),
    ) -> Incident:
        """Correct the text of a published update (numbered ``update``, from 1) to ``message``.

        ``reason`` says what was wrong ("we named the wrong region"); it is recorded
        with who corrected it and when, and customers read it beside the correction.
        The corrected update stays on the timeline as it was; the correction is an
        update of its own (kind ``correction``) that changes no fact and no promise.
        It is checked like any message (as the update it corrects), then goes once
        to every channel that was given that update: edited in place where the
        channel can edit (:class:`~candor.typing.Editing`), a "Correction:"
        follow-up where it cannot. ``allow`` lets check errors through, with
        ``reason`` recorded as the override's reason too. An update number the
        incident does not have raises InputError naming it.
        """
        current = await self._current(incident_id)
        planned = lifecycle.correct(
            current, self.now(), update=update, message=message, reason=reason, by=compose.actor()
        )
        return await self._commit(
            planned, expected_version=current.version, allow=allow, reason=reason
        )

    async def find(self, reference: str) -> Incident:
        """The incident ``reference`` names: its id, else its title, else a title's start.

        Titles are compared without regard to case or surrounding space; a title, or
        the start of one, that more than one incident has is refused with InputError
        listing them, open ones first, as is one no incident has (IncidentNotFound).
        """
        try:
            return await self._current(reference)
        except IncidentNotFound:
            return lookup(reference, await self.list(), None)

    async def only_open(self) -> Incident:
        """The one open incident (``candor ... --latest``); AmbiguousIncident listing them when
        several are open, InputError when none is."""
        return only_open(await self.list(open_only=True))

    async def get(self, incident_id: str) -> Incident:
        """The incident with its whole timeline and where each update was delivered."""
        return await self._current(incident_id)

    async def list(self, *, open_only: bool = False) -> builtins.list[Incident]:
        """Every incident, newest first; ``open_only`` leaves out the resolved ones."""
        return await asyncio.to_thread(self.store.list, open_only=open_only)

    async def preview(
        self,
        incident_id: str | None = None,
        /,
        *,
        message: str,
        title: str | None = None,
        scope: Scope | Mapping[str, Any] | None = None,
        status: Status | str | None = None,
        impact: str | None = None,
        next_update_in: object = None,
        started_at: datetime | str | None = None,
        cause: str | None = None,
        workaround: str | None = None,
        changed: str | None = None,
        prevention: str | None = None,
        postmortem_by: datetime | str | None = None,
        ended_at: datetime | str | None = None,
        channels: Iterable[str] | None = None,
    ) -> builtins.list[Message]:
        """The messages an :meth:`open` (no id) or :meth:`update` would send; nothing is stored.

        With an incident id and ``status="resolved"`` it previews :meth:`resolve`
        (and of a resolved incident, :meth:`reopen`). Each argument is the one of
        the call it previews; one that call does not take raises InputError.
        """
        given: dict[str, Any] = {
            "message": message,
            "title": title,
            "scope": scope,
            "status": status,
            "impact": impact,
            "next_update_in": next_update_in,
            "started_at": started_at,
            "cause": cause,
            "workaround": workaround,
            "changed": changed,
            "prevention": prevention,
            "postmortem_by": postmortem_by,
            "ended_at": ended_at,
        }
        arguments: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        _previewable(incident_id, arguments)
        arguments["channels"] = self._chosen(channels)
        if incident_id is None:
            planned = lifecycle.open_incident(self.policy, self.now(), **arguments)
        else:
            current = await self._current(incident_id)
            resolving = str(arguments.get("status", "")).lower() == Status.RESOLVED.value
            if resolving:
                arguments.pop("status")
            kind = UpdateKind.RESOLVE if resolving else UpdateKind.UPDATE
            if current.status is Status.RESOLVED and not resolving:
                kind = UpdateKind.REOPEN
            planned = lifecycle.change(current, self.policy, self.now(), kind=kind, **arguments)
        return self._messages(planned)

    async def overdue(self, now: datetime | None = None) -> builtins.list[Reminder]:
        """Promises broken at ``now``, or due within the policy's ``warn_before``: see
        :func:`candor.promises.reminders` (per incident, and per channel still owed)."""
        moment = parse_when(now, "now") if now is not None else self.now()
        return await self.keeper.overdue(moment)

    async def keep_promises(self, now: datetime | None = None) -> builtins.list[PolicyAction]:
        """Run the promise policy once (warn, or post holding updates); returns what it did."""
        moment = parse_when(now, "now") if now is not None else None
        return await self.keeper.keep(moment)

    async def watch(
        self,
        *,
        interval: timedelta | str = "1m",
        ticks: int | None = None,
        duration: timedelta | str = "24h",
        stop: threading.Event | None = None,
        sleep: Callable[[float], Coroutine[Any, Any, None]] | None = None,
        on_action: Callable[[PolicyAction], None] | None = None,
    ) -> builtins.list[PolicyAction]:
        """Run :meth:`keep_promises` every ``interval``, within bounds (see
        :meth:`candor.keeper.PromiseKeeper.watch`)."""
        every = parse_duration(interval, "interval")
        bound = parse_duration(duration, "duration")
        return await self.keeper.watch(
            interval=every,
            ticks=ticks,
            duration=bound,
            stop=stop,
            sleep=sleep,
            on_action=on_action,
        )

    async def publish_postmortem(
        self,
        incident_id: str,
        *,
        summary: str,
        what_happened: str,
        what_we_are_doing: str,
        action_items: Iterable[str] = (),
        cause: str | None = None,
        allow: Iterable[str] = (),
        reason: str | None = None,
    ) -> Incident:
        """Publish the write-up of a resolved incident on every channel, keeping its promise.

        The three sections are what postmortem guidance asks for; ``action_items``
        are recorded with status ``open`` and may be moved on with
        :meth:`set_action_item`. ``cause`` is what caused it, when the resolution
        could not yet say (the one named earlier is kept if not given); the write-up
        names it. The text is checked like any update.
        """
        write_up = WriteUp(
            summary=summary,
            what_happened=what_happened,
            what_we_are_doing=what_we_are_doing,
            # A string or a non-list goes through as given, for WriteUp to name what is wrong.
            action_items=tuple(action_items)
            if isinstance(action_items, Iterable) and not isinstance(action_items, str)
            else action_items,
        )
        current = await self._current(incident_id)
        planned = lifecycle.write_up(current, self.now(), write_up, cause=cause)
        return await self._commit(
            planned, expected_version=current.version, allow=allow, reason=reason
        )

    async def set_action_item(
        self, incident_id: str, number: int, status: ActionStatus | str
    ) -> ActionItem:
        """Move a write-up's action item on (open, in_progress, done, dropped); pages show it."""
        try:
            chosen = ActionStatus(status)
        except ValueError:
            known = ", ".join(choice.value for choice in ActionStatus)
            raise InputError("status", status, f"use one of: {known}") from None
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 10_000:
            raise InputError("number", number, "must be an action item's number, from 1")
        incident_id = checked_id(incident_id)
        item = await asyncio.to_thread(
            self.store.set_action_item, incident_id, number, chosen, at=self.now()
        )
        incident = await self._current(incident_id)
        for name, adapter in self.adapters.items():
            if isinstance(adapter, Refreshing):
                try:
                    await adapter.refresh(incident, self.organization)
                except CandorError as exc:
                    log.error("refresh_failed", channel=name, error=str(exc))
        return item

    async def close_incident(self, incident_id: str, *, reason: str | None = None) -> Incident:
        """Close the books on a resolved incident: it leaves the promise ledger.

        Refused with PromiseError while its write-up promise is open, unless a
        ``reason`` is given, which is recorded with who closed it.
        """
        current = await self._current(incident_id)
        made = await asyncio.to_thread(self.store.promises, open_only=True)
        closed = lifecycle.close(current, made, self.now(), reason=reason, by=compose.actor())
        assert closed.closure is not None
        await asyncio.to_thread(self.store.close_incident, incident_id, closed.closure)
        if closed.closure.overridden:
            log.warning(
                "closed_with_open_promise",
                incident_id=incident_id,
                reason=closed.closure.reason,
                by=closed.closure.by,
            )
        return await self._current(incident_id)

    async def report(self, incident_id: str, now: datetime | None = None) -> Scorecard:
        """The incident's comms scorecard (see :class:`candor.scorecard.Scorecard`)."""
        moment = parse_when(now, "now") if now is not None else self.now()
        incident = await self._current(incident_id)
        made = await asyncio.to_thread(self.store.promises, open_only=False)

        def public(channel: str) -> bool:
            configured = self.channels.get(channel)
            return configured is None or configured.audience is Audience.PUBLIC

        return scorecard(incident, made, moment, public=public)

    async def deliver_pending(
        self,
        *,
        force: bool = False,
        retry_failed: bool = False,
        channels: Iterable[str] | None = None,
    ) -> builtins.list[Outcome]:
        """Deliver every message still owed to any channel that may go now; returns the outcomes.

        A message waiting to retry goes when its time has come, or now with
        ``force``; one in flight in another live process is left to it.

        ``retry_failed`` first owes again the messages that failed for good (a
        refused credential, say, since fixed), each channel catching up in order
        from the first update it missed; a failed message that a later update
        has since reached its channel after stays failed, as it would arrive out
        of date. ``channels`` limits that to the named channels.
        """
        if retry_failed:
            if isinstance(channels, str) or not isinstance(channels, Iterable | None):
                raise InputError("channels", channels, "give a list of channel names")
            # A channel no longer configured could not take the message: leave its rows failed.
            chosen = builtins.list(self.channels if channels is None else channels)
            for name in chosen:
                if not isinstance(name, str) or name not in self.channels:
                    raise ConfigError("no channel by this name is configured", channel=name)
            requeued = await asyncio.to_thread(
                self.store.requeue_failed, now=self.now(), channels=chosen
            )
            for item in requeued:
                log.info(
                    "delivery_requeued",
                    channel=item.channel,
                    incident_id=item.incident_id,
                    seq=item.seq,
                    attempts=item.attempts,
                )
        elif channels is not None:
            raise InputError(
                "channels", channels, "only limits retry_failed; pass retry_failed=True"
            )
        return await self._deliver(None, force=force)

    async def import_incidents(self, channel: str) -> builtins.list[Incident]:
        """Record the incidents still open on ``channel``'s service; returns those new to the store.

        Later updates continue each remote incident (see :mod:`candor.importing`);
        importing twice imports nothing new.
        """
        if not isinstance(channel, str):
            raise InputError("channel", channel, "must be a channel's name")
        if channel in self.unconfigured:
            raise ConfigError(
                f"cannot be read until it is configured: {self.unconfigured[channel]}",
                channel=channel,
            )
        if channel not in self.adapters:
            raise ConfigError("no channel by this name is configured", channel=channel)
        return await import_incidents(
            self.adapters[channel], self.store, channel, policy=self.policy, now=self.now
        )


_OPENING = frozenset(
    (
        "title",
        "scope",
        "message",
        "status",
        "impact",
        "next_update_in",
        "started_at",
        "cause",
        "workaround",
    )
)
_CHANGING = frozenset(
    (
        "message",
        "status",
        "scope",
        "impact",
        "next_update_in",
        "cause",
        "workaround",
        "changed",
        "prevention",
        "postmortem_by",
        "ended_at",
    )
)


def _previewable(incident_id: str | None, arguments: Mapping[str, Any]) -> None:
    """Refuse, naming it, an argument :meth:`AsyncCommunicator.preview` cannot pass on."""
    known = _OPENING if incident_id is None else _CHANGING
    for name, value in arguments.items():
        if name not in known:
            raise InputError(
                name, value, f"preview takes no such argument; known: {', '.join(sorted(known))}"
            )
    needed = ("title", "scope", "message") if incident_id is None else ("message",)
    for name in needed:
        if name not in arguments:
            raise InputError(name, None, "preview needs it, as the call it previews does")
