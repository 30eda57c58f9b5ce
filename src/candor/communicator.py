"""The facade runbooks call: open, update, resolve and reopen incidents, and say so everywhere.

:class:`AsyncCommunicator` does the work; :class:`Communicator` is the same API
for code that is not async (it runs the async one on a private event loop, as
httpx pairs ``Client`` with ``AsyncClient``).

Each mutation reads the incident, decides the new state with the policy,
renders one message per channel from the same facts, records the update, its
promises and the outbox in one transaction, and only then delivers.
"""

from __future__ import annotations

import asyncio
import builtins
import secrets
from collections.abc import Callable, Coroutine, Iterable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

from candor._crash import crash_point
from candor._http import HTTPSettings
from candor.checks import check, rules
from candor.errors import (
    AdapterError,
    CandorError,
    CheckError,
    ConfigError,
    InputError,
    PromiseError,
)
from candor.log import get_logger
from candor.model import (
    ActionItem,
    ActionStatus,
    Incident,
    Organization,
    Override,
    Reminder,
    Scope,
    Status,
    Update,
    UpdateKind,
    check_transition,
    parse_when,
)
from candor.policy import Policy
from candor.render import Renderer
from candor.typing import Adapter, Interceptor
from candor.vocabulary import Channel, Message

if TYPE_CHECKING:
    import threading
    from datetime import timedelta
    from types import TracebackType

    import httpx

    from candor.delivery import DeliverySettings, Outcome, Sleep
    from candor.promises import PolicyAction, Scorecard
    from candor.typing import Store
    from candor.vocabulary import OutboxItem

__all__ = ["AsyncCommunicator", "Communicator"]

log = get_logger("candor")

T = TypeVar("T")
Clock = Callable[[], datetime]


# A hook for tests: while it holds an Interceptor (candor.testing.capture() sets
# it), every communicator constructed in this context asks it for its clock and
# adapters. Unset, it costs one lookup per constructor and changes nothing.
interceptor: ContextVar[Interceptor | None] = ContextVar("candor_interceptor", default=None)


def _system_clock() -> datetime:
    return datetime.now(UTC)


def _new_incident_id() -> str:
    return f"inc-{secrets.token_hex(5)}"


class AsyncCommunicator:
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
    """

    def __init__(
        self,
        channels: Iterable[Channel] | None = None,
        *,
        store: Store | str | Path | None = None,
        policy: Policy | None = None,
        organization: Organization | None = None,
        templates_dir: str | Path | None = None,
        clock: Clock | None = None,
        client: httpx.AsyncClient | None = None,
        base_dir: str | Path | None = None,
        delivery: DeliverySettings | None = None,
        sleep: Sleep | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        http: HTTPSettings | None = None,
    ) -> None:
        from candor.config import default_config
        from candor.delivery import Courier

        self.base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        defaults = default_config(self.base_dir)
        self.organization = organization or defaults.organization
        self.policy = policy or Policy()
        self.renderer = Renderer(self.organization, templates_dir=templates_dir)
        self.renderer.load_all()
        rules()  # reads the check plugins' entry points now, like the adapters': not in an open()
        hook = interceptor.get()
        if hook is not None:
            clock = hook.clock(clock)
        self._clock = clock or _system_clock
        self._own_client = client is None
        if client is None:
            from candor._http.client import default_client  # loads httpx: only when needed

            client = default_client(http)
        self.client = client
        chosen = tuple(channels) if channels is not None else defaults.channels
        if hook is not None:
            chosen = hook.channels(chosen)
        self.channels: dict[str, Channel] = {}
        self.adapters: dict[str, Adapter] = {}
        for channel in chosen:
            if channel.name in self.channels:
                raise ConfigError("two channels have this name", channel=channel.name, key="name")
            self.channels[channel.name] = channel
            adapter = self._build_adapter(channel)
            self.adapters[channel.name] = (
                adapter if hook is None else hook.adapter(channel, adapter)
            )
        # The store is opened last, so a configuration mistake leaves no file behind.
        self.store = self._open_store(store if store is not None else defaults.store_url)
        self.courier = Courier(
            self.store,
            self.adapters,
            self.organization,
            self.now,
            settings=delivery,
            sleep=sleep,
            on_outcome=on_outcome,
        )

    @classmethod
    def from_config(cls, path: str | Path | None = None, **overrides: Any) -> Self:
        """A communicator configured by ``candor.toml`` (see :func:`candor.config.load_config`).

        With no path and no ``./candor.toml`` this is the embedded default. Every
        adapter is built here, so a wrong setting fails now, before any incident
        is touched. Keyword ``overrides`` (``clock``, ``client``...) go to the
        constructor.
        """
        from candor.config import load_config

        config = load_config(path)
        try:
            return cls(
                config.channels,
                store=overrides.pop("store", config.store_url),
                policy=config.policy,
                organization=config.organization,
                templates_dir=config.templates_dir,
                base_dir=config.base_dir,
                http=overrides.pop("http", config.http),
                **overrides,
            )
        except ConfigError as exc:
            if exc.path is None and config.path is not None:
                raise ConfigError(
                    exc.reason, path=str(config.path), channel=exc.channel, key=exc.key
                ) from None
            raise

    def _open_store(self, store: Store | str | Path) -> Store:
        from candor.store import open_store

        if isinstance(store, str | Path):
            return open_store(str(store), base_dir=self.base_dir)
        return store

    def _build_adapter(self, channel: Channel) -> Adapter:
        from candor.adapters import registry

        if not isinstance(channel.adapter, str):
            if not isinstance(channel.adapter, Adapter):
                raise ConfigError(
                    "is neither an adapter name nor an adapter (needs capabilities, post, aclose)",
                    channel=channel.name,
                    key="adapter",
                )
            return channel.adapter
        try:
            factory = registry.load(channel.adapter)
        except AdapterError as exc:
            raise ConfigError(str(exc), channel=channel.name, key="adapter") from None
        return factory(channel, client=self.client, base_dir=self.base_dir)

    # -- time ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """The communicator's clock, checked to be timezone-aware."""
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise InputError("clock", now, "the clock must return timezone-aware datetimes")
        return now.astimezone(UTC)

    # -- planning (pure: no I/O) ---------------------------------------------------------

    def _plan_open(
        self,
        *,
        title: str,
        scope: Scope | Mapping[str, Any],
        message: str,
        status: Status | str = Status.INVESTIGATING,
        impact: str | None = None,
        next_update_in: object = None,
        started_at: datetime | str | None = None,
        cause: str | None = None,
        workaround: str | None = None,
    ) -> Incident:
        now = self.now()
        scope = _scope(scope)
        target = Status.parse(status)
        check_transition(Status.INVESTIGATING, target, via=UpdateKind.OPEN)
        decided = self.policy.resolve_impact(scope, impact)
        started = parse_when(started_at, "started_at") if started_at is not None else now
        if started > now:
            raise InputError("started_at", started_at, "is in the future")
        incident_id = _new_incident_id()
        update = Update(
            id=f"{incident_id}.1",
            incident_id=incident_id,
            seq=1,
            kind=UpdateKind.OPEN,
            status=target,
            impact=decided,
            scope=scope,
            message=_message(message),
            cause=_optional_text(cause, "cause"),
            workaround=_optional_text(workaround, "workaround"),
            next_update_by=self.policy.next_update_by(decided, target, now, next_update_in),
            created_at=now,
        )
        return Incident(
            id=incident_id,
            title=_title(title),
            status=target,
            impact=decided,
            scope=scope,
            started_at=started,
            created_at=now,
            updated_at=now,
            next_update_by=update.next_update_by,
            cause=update.cause,
            version=1,
            updates=(update,),
        )

    def _plan_change(
        self,
        current: Incident,
        *,
        kind: UpdateKind,
        message: str,
        status: Status | str | None = None,
        scope: Scope | Mapping[str, Any] | None = None,
        impact: str | None = None,
        next_update_in: object = None,
        cause: str | None = None,
        postmortem_by: datetime | str | None = None,
        workaround: str | None = None,
        changed: str | None = None,
        prevention: str | None = None,
    ) -> Incident:
        now = self.now()
        if kind is UpdateKind.RESOLVE:
            target = Status.RESOLVED
        elif kind is UpdateKind.REOPEN:
            target = Status.parse(status) if status is not None else Status.INVESTIGATING
        else:
            target = Status.parse(status) if status is not None else current.status
        check_transition(current.status, target, via=kind)
        new_scope = _scope(scope) if scope is not None else current.scope
        if impact is None and scope is None:
            decided = current.impact
        else:
            decided = self.policy.resolve_impact(new_scope, impact)
        promised_write_up = None
        if postmortem_by is not None:
            if kind is not UpdateKind.RESOLVE:
                raise InputError(
                    "postmortem_by", postmortem_by, "a write-up is promised with resolve()"
                )
            promised_write_up = parse_when(postmortem_by, "postmortem_by")
            if promised_write_up <= now:
                raise InputError("postmortem_by", postmortem_by, "is not in the future")
        if next_update_in is not None and target is Status.RESOLVED:
            raise InputError(
                "next_update_in", next_update_in, "a resolution is final and promises no update"
            )
        if kind is UpdateKind.RESOLVE and cause is None:
            cause = current.cause  # the resolution restates the cause already named
        if kind is not UpdateKind.RESOLVE:
            for name, value in (("changed", changed), ("prevention", prevention)):
                if value is not None:
                    raise InputError(name, value, "is said in the resolution, with resolve()")
        elif workaround is not None:
            raise InputError("workaround", workaround, "a resolution needs no workaround")
        seq = len(current.updates) + 1
        update = Update(
            id=f"{current.id}.{seq}",
            incident_id=current.id,
            seq=seq,
            kind=kind,
            status=target,
            previous_status=current.status,
            impact=decided,
            scope=new_scope,
            message=_message(message),
            cause=_optional_text(cause, "cause"),
            workaround=_optional_text(workaround, "workaround"),
            changed=_optional_text(changed, "changed"),
            prevention=_optional_text(prevention, "prevention"),
            next_update_by=self.policy.next_update_by(decided, target, now, next_update_in),
            postmortem_by=promised_write_up,
            created_at=now,
        )
        changes: dict[str, Any] = {
            "status": target,
            "impact": decided,
            "scope": new_scope,
            "updated_at": now,
            "next_update_by": update.next_update_by,
            "version": current.version + 1,
            "updates": (*current.updates, update),
            "deliveries": (),
        }
        if update.cause is not None:
            changes["cause"] = update.cause
        if kind is UpdateKind.RESOLVE:
            changes["resolved_at"] = now
            changes["postmortem_by"] = promised_write_up
        elif kind is UpdateKind.REOPEN:
            changes["resolved_at"] = None
        return Incident.model_validate({**current.model_dump(), **changes})

    def _messages(self, incident: Incident) -> builtins.list[Message]:
        """One message per channel for the incident's newest update, each with its findings."""
        update = incident.updates[-1]
        messages = []
        # Channels that take the same form, limit and audience get the same text: render
        # and check it once (a fan-out to 200 webhooks renders one message, not 200).
        done: dict[tuple[object, ...], Message] = {}
        for name, channel in self.channels.items():
            capabilities = self.adapters[name].capabilities
            public = channel.audience == "public"
            key = (
                capabilities.form,
                capabilities.max_length,
                capabilities.length_unit,
                public,
            )
            if key not in done:
                message = self.renderer.render(
                    incident, update, channel=name, capabilities=capabilities
                )
                findings = check(
                    message.text,
                    incident=incident,
                    status=update.status,
                    channel=name,
                    public=public,
                )
                done[key] = message.model_copy(update={"findings": tuple(findings)})
            messages.append(done[key].model_copy(update={"channel": name}))
        return messages

    def _guard(
        self,
        incident: Incident,
        messages: builtins.list[Message],
        allow: Iterable[str],
        reason: str | None,
    ) -> Incident:
        """Raise CheckError on any error not allowed; record an override that was used."""
        allowed = tuple(dict.fromkeys(allow))
        if isinstance(allow, str):
            raise InputError("allow", allow, "give a list of check codes, such as ['fix-time']")
        known = {rule.code for rule in rules()}
        for code in allowed:
            if code not in known:
                raise InputError("allow", code, f"unknown check; known: {', '.join(sorted(known))}")
        if allowed and (not isinstance(reason, str) or not reason.strip()):
            raise InputError("reason", reason, "allowing a check needs a reason, for the record")
        blocking = [(m.channel, f) for m in messages for f in m.errors if f.code not in allowed]
        if blocking:
            raise CheckError(blocking)
        used = [(m.channel, f) for m in messages for f in m.errors if f.code in allowed]
        if not used:
            return incident
        assert reason is not None
        override = Override(
            codes=tuple(sorted({f.code for _, f in used})),
            reason=reason.strip(),
            by=_actor(),
            findings=tuple(f"{channel}: {f.code}: {f.excerpt}" for channel, f in used),
        )
        update = incident.updates[-1].model_copy(update={"override": override})
        log.warning(
            "check_overridden",
            incident_id=incident.id,
            seq=update.seq,
            codes=list(override.codes),
            reason=override.reason,
            by=override.by,
        )
        return incident.model_copy(update={"updates": (*incident.updates[:-1], update)})

    def _outbox(
        self, incident: Incident, messages: builtins.list[Message]
    ) -> builtins.list[OutboxItem]:
        from candor.vocabulary import OutboxItem, idempotency_key

        update = incident.updates[-1]
        return [
            OutboxItem(
                incident_id=incident.id,
                update_id=update.id,
                seq=update.seq,
                channel=message.channel,
                idempotency_key=idempotency_key(incident.id, update.id, message.channel),
                message=message,
                created_at=update.created_at,
            )
            for message in messages
        ]

    async def _commit(
        self,
        incident: Incident,
        *,
        expected_version: int | None,
        allow: Iterable[str] = (),
        reason: str | None = None,
    ) -> Incident:
        messages = self._messages(incident)
        incident = self._guard(incident, messages, allow, reason)
        outbox = self._outbox(incident, messages)
        await asyncio.to_thread(
            self.store.save, incident, expected_version=expected_version, outbox=outbox
        )
        crash_point("committed")
        update = incident.updates[-1]
        log.info(
            "update_recorded",
            incident_id=incident.id,
            seq=update.seq,
            status=update.status.value,
            channels=len(outbox),
        )
        await self._deliver(incident.id)
        return await self.get(incident.id)

    async def _deliver(
        self, incident_id: str | None, *, force: bool = False
    ) -> builtins.list[Outcome]:
        return await self.courier.deliver(incident_id=incident_id, force=force)

    async def _change(
        self,
        incident_id: str,
        *,
        kind: UpdateKind,
        allow: Iterable[str] = (),
        reason: str | None = None,
        **arguments: Any,
    ) -> Incident:
        """Read, plan against what was read, and commit only if nobody wrote in between."""
        current = await self._current(incident_id)
        incident = self._plan_change(current, kind=kind, **arguments)
        return await self._commit(
            incident, expected_version=current.version, allow=allow, reason=reason
        )

    async def _current(self, incident_id: str) -> Incident:
        if not isinstance(incident_id, str) or not incident_id:
            raise InputError("incident_id", incident_id, "must be an incident id such as inc-…")
        return await asyncio.to_thread(self.store.get, incident_id)

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
    ) -> Incident:
        """Open an incident and tell every channel; returns it as recorded, with deliveries.

        ``next_update_in`` defaults to the policy's cadence for the impact;
        ``impact`` defaults to what the scope implies, and may not understate it.
        Every message is checked first: a check error raises CheckError and
        nothing is stored or sent, unless its code is in ``allow`` with a
        ``reason``, which is recorded on the timeline.
        """
        incident = self._plan_open(
            title=title,
            scope=scope,
            message=message,
            status=status,
            impact=impact,
            next_update_in=next_update_in,
            started_at=started_at,
            cause=cause,
            workaround=workaround,
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
    ) -> Incident:
        """Record a new update on an open incident and tell every channel.

        Status may move forward or back (recorded as a back-step); resolving
        goes through :meth:`resolve`. Raises ConflictError if another writer
        changed the incident meanwhile, and CheckError as :meth:`open` does.
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
        refuse_if_untold: bool = False,
        allow: Iterable[str] = (),
        reason: str | None = None,
    ) -> Incident:
        """Resolve the incident on every channel.

        ``cause`` is what caused it (the one named earlier is kept if not given),
        ``changed`` what was done to fix it, ``prevention`` what will stop it
        happening again, and ``postmortem_by`` promises the write-up by a date.

        The resolution goes to every configured channel, including those whose
        earlier deliveries failed and those added mid-incident. An incident no
        channel ever received is resolved with a warning, or refused with
        PromiseError when ``refuse_if_untold``; a channel that carried an update
        but is no longer configured is named in a warning, since it cannot hear
        the ending.
        """
        from candor.promises import channels_that_carried, told_anyone

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
            allow=allow,
            reason=reason,
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
    ) -> Incident:
        """Reopen a resolved incident: the problem is back, and the customers hear it."""
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
        )

    async def get(self, incident_id: str) -> Incident:
        """The incident with its whole timeline and where each update was delivered."""
        return await self._current(incident_id)

    async def list(self, *, open_only: bool = False) -> builtins.list[Incident]:
        """Every incident, newest first; ``open_only`` leaves out the resolved ones."""
        return await asyncio.to_thread(self.store.list, open_only=open_only)

    async def preview(
        self, incident_id: str | None = None, /, **arguments: Any
    ) -> builtins.list[Message]:
        """The messages an :meth:`open` (no id) or :meth:`update` would send; nothing is stored.

        With an incident id and ``status="resolved"`` it previews :meth:`resolve`.
        """
        arguments.pop("allow", None)
        arguments.pop("reason", None)
        if incident_id is None:
            planned = self._plan_open(**arguments)
        else:
            current = await self._current(incident_id)
            resolving = str(arguments.get("status", "")).lower() == Status.RESOLVED.value
            if resolving:
                arguments.pop("status")
            kind = UpdateKind.RESOLVE if resolving else UpdateKind.UPDATE
            if current.status is Status.RESOLVED and not resolving:
                kind = UpdateKind.REOPEN
            planned = self._plan_change(current, kind=kind, **arguments)
        return self._messages(planned)

    async def overdue(self, now: datetime | None = None) -> builtins.list[Reminder]:
        """Promises broken at ``now``, or due within the policy's ``warn_before``: see
        :func:`candor.promises.reminders` (per incident, and per channel still owed)."""
        from candor.promises import reminders

        moment = parse_when(now, "now") if now is not None else self.now()
        incidents = await asyncio.to_thread(self.store.list)
        made = await asyncio.to_thread(self.store.promises, open_only=False)
        return reminders(incidents, made, moment, lead=self.policy.warn_before)

    async def keep_promises(self, now: datetime | None = None) -> builtins.list[PolicyAction]:
        """Run the promise policy once (warn, or post holding updates); returns what it did."""
        from candor.promises import keep_promises

        moment = parse_when(now, "now") if now is not None else None
        return await keep_promises(self, moment)

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
        """Run :meth:`keep_promises` every ``interval``, within bounds: see ``promises.watch``."""
        from candor.model import parse_duration
        from candor.promises import watch

        every = parse_duration(interval, "interval")
        bound = parse_duration(duration, "duration")
        return await watch(
            self,
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
        allow: Iterable[str] = (),
        reason: str | None = None,
    ) -> Incident:
        """Publish the write-up of a resolved incident on every channel, keeping its promise.

        The three sections are what postmortem guidance asks for; ``action_items``
        are recorded with status ``open`` and may be moved on with
        :meth:`set_action_item`. The text is checked like any update.
        """
        from candor.model import WriteUp
        from candor.promises import plan_write_up

        write_up = WriteUp(
            summary=summary,
            what_happened=what_happened,
            what_we_are_doing=what_we_are_doing,
            action_items=tuple(action_items) if not isinstance(action_items, str) else action_items,
        )
        current = await self._current(incident_id)
        planned = plan_write_up(current, self.now(), write_up)
        return await self._commit(
            planned, expected_version=current.version, allow=allow, reason=reason
        )

    async def set_action_item(
        self, incident_id: str, number: int, status: ActionStatus | str
    ) -> ActionItem:
        """Move a write-up's action item on (open, in_progress, done, dropped); pages show it."""
        from candor.typing import Refreshing

        try:
            chosen = ActionStatus(status)
        except ValueError:
            known = ", ".join(choice.value for choice in ActionStatus)
            raise InputError("status", status, f"use one of: {known}") from None
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
        from candor.promises import closure_for

        current = await self._current(incident_id)
        made = await asyncio.to_thread(self.store.promises, open_only=True)
        closure = closure_for(current, made, self.now(), reason, _actor())
        await asyncio.to_thread(self.store.close_incident, incident_id, closure)
        if closure.overridden:
            log.warning(
                "closed_with_open_promise",
                incident_id=incident_id,
                reason=closure.reason,
                by=closure.by,
            )
        return await self._current(incident_id)

    async def report(self, incident_id: str, now: datetime | None = None) -> Scorecard:
        """The incident's comms scorecard (see :class:`candor.promises.Scorecard`)."""
        from candor.promises import scorecard
        from candor.vocabulary import Audience

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
            if isinstance(channels, str):
                raise InputError("channels", channels, "give a list of channel names")
            # A channel no longer configured could not take the message: leave its rows failed.
            chosen = builtins.list(self.channels if channels is None else channels)
            for name in chosen:
                if name not in self.channels:
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
        from candor.importing import import_incidents

        if channel not in self.adapters:
            raise ConfigError("no channel by this name is configured", channel=channel)
        return await import_incidents(
            self.adapters[channel], self.store, channel, policy=self.policy, now=self.now
        )

    async def aclose(self) -> None:
        """Close the adapters, the HTTP client (if the communicator made it) and the store."""
        for adapter in self.adapters.values():
            await adapter.aclose()
        self.courier.close()
        if self._own_client:
            await self.client.aclose()
        self.store.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


class Communicator:
    """The same API as :class:`AsyncCommunicator`, for code that is not async."""

    def __init__(
        self,
        channels: Iterable[Channel] | None = None,
        **options: Any,
    ) -> None:
        self._start(_build(channels, options))

    @classmethod
    def from_config(cls, path: str | Path | None = None, **overrides: Any) -> Self:
        """See :meth:`AsyncCommunicator.from_config`."""
        self = cls.__new__(cls)
        self._start(_from_config(path, overrides))
        return self

    def _start(self, build: Coroutine[Any, Any, AsyncCommunicator]) -> None:
        _refuse_inside_event_loop(build)
        self._runner = asyncio.Runner()
        try:
            self._async = self._run(build)
        except BaseException:
            self._runner.close()
            raise

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        _refuse_inside_event_loop(coroutine)
        # The runner's task must not hold the result: when the run ends, asyncio formats
        # the task's repr (in checking its SIGINT handler), and an incident with a long
        # timeline and hundreds of deliveries takes milliseconds to repr.
        result: list[T] = []

        async def run() -> None:
            result.append(await coroutine)

        self._runner.run(run())
        return result[0]

    @property
    def store(self) -> Store:
        return self._async.store

    @property
    def channels(self) -> dict[str, Channel]:
        return self._async.channels

    @property
    def adapters(self) -> dict[str, Adapter]:
        return self._async.adapters

    def open(
        self, title: str, scope: Scope | Mapping[str, Any], message: str, **kw: Any
    ) -> Incident:
        """See :meth:`AsyncCommunicator.open`."""
        return self._run(self._async.open(title, scope, message, **kw))

    def update(self, incident_id: str, **kw: Any) -> Incident:
        """See :meth:`AsyncCommunicator.update`."""
        return self._run(self._async.update(incident_id, **kw))

    def resolve(self, incident_id: str, **kw: Any) -> Incident:
        """See :meth:`AsyncCommunicator.resolve`."""
        return self._run(self._async.resolve(incident_id, **kw))

    def reopen(self, incident_id: str, **kw: Any) -> Incident:
        """See :meth:`AsyncCommunicator.reopen`."""
        return self._run(self._async.reopen(incident_id, **kw))

    def get(self, incident_id: str) -> Incident:
        return self._run(self._async.get(incident_id))

    def list(self, *, open_only: bool = False) -> builtins.list[Incident]:
        return self._run(self._async.list(open_only=open_only))

    def preview(self, incident_id: str | None = None, /, **kw: Any) -> builtins.list[Message]:
        """See :meth:`AsyncCommunicator.preview`."""
        return self._run(self._async.preview(incident_id, **kw))

    def overdue(self, now: datetime | None = None) -> builtins.list[Reminder]:
        """See :meth:`AsyncCommunicator.overdue`."""
        return self._run(self._async.overdue(now))

    def keep_promises(self, now: datetime | None = None) -> builtins.list[PolicyAction]:
        """See :meth:`AsyncCommunicator.keep_promises`."""
        return self._run(self._async.keep_promises(now))

    def watch(self, **kw: Any) -> builtins.list[PolicyAction]:
        """See :meth:`AsyncCommunicator.watch`."""
        return self._run(self._async.watch(**kw))

    def publish_postmortem(self, incident_id: str, **kw: Any) -> Incident:
        """See :meth:`AsyncCommunicator.publish_postmortem`."""
        return self._run(self._async.publish_postmortem(incident_id, **kw))

    def set_action_item(
        self, incident_id: str, number: int, status: ActionStatus | str
    ) -> ActionItem:
        """See :meth:`AsyncCommunicator.set_action_item`."""
        return self._run(self._async.set_action_item(incident_id, number, status))

    def close_incident(self, incident_id: str, *, reason: str | None = None) -> Incident:
        """See :meth:`AsyncCommunicator.close_incident`."""
        return self._run(self._async.close_incident(incident_id, reason=reason))

    def report(self, incident_id: str, now: datetime | None = None) -> Scorecard:
        """See :meth:`AsyncCommunicator.report`."""
        return self._run(self._async.report(incident_id, now))

    def deliver_pending(
        self,
        *,
        force: bool = False,
        retry_failed: bool = False,
        channels: Iterable[str] | None = None,
    ) -> builtins.list[Outcome]:
        """See :meth:`AsyncCommunicator.deliver_pending`."""
        return self._run(
            self._async.deliver_pending(force=force, retry_failed=retry_failed, channels=channels)
        )

    def import_incidents(self, channel: str) -> builtins.list[Incident]:
        """See :meth:`AsyncCommunicator.import_incidents`."""
        return self._run(self._async.import_incidents(channel))

    def close(self) -> None:
        """Close everything the communicator holds, and its event loop."""
        try:
            self._run(self._async.aclose())
        finally:
            self._runner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _refuse_inside_event_loop(coroutine: Coroutine[Any, Any, Any]) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    coroutine.close()
    raise CandorError(
        "Communicator cannot run inside a running event loop; use AsyncCommunicator there"
    )


async def _build(channels: Iterable[Channel] | None, options: dict[str, Any]) -> AsyncCommunicator:
    # Built inside the runner's loop, so the HTTP client belongs to that loop.
    return AsyncCommunicator(channels, **options)


async def _from_config(path: str | Path | None, overrides: dict[str, Any]) -> AsyncCommunicator:
    return AsyncCommunicator.from_config(path, **overrides)


def _actor() -> str | None:
    """Who is running this, for the record of an override: $CANDOR_ACTOR, else the OS user."""
    import getpass
    import os

    try:
        return os.environ.get("CANDOR_ACTOR") or getpass.getuser()
    except (OSError, KeyError):  # no user name on this system
        return None


def _scope(scope: Scope | Mapping[str, Any]) -> Scope:
    if isinstance(scope, Scope):
        return scope
    if isinstance(scope, Mapping):
        return Scope(**scope)
    raise InputError("scope", scope, "must be a candor.Scope or a mapping of its fields")


def _title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise InputError("title", title, "must say what is broken, in a few words")
    if len(title) > 255:
        raise InputError("title", title, "must be at most 255 characters")
    return title.strip()


def _message(message: object) -> str:
    if not isinstance(message, str) or not message.strip():
        raise InputError("message", message, "must say what customers see, in plain words")
    return message.strip()


def _optional_text(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(field, value, "must be non-empty text")
    return value.strip()
