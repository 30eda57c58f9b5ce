"""The sync door: :class:`Communicator`, the async facade's API for code that is not async.

Every method repeats :class:`~candor.communicator.AsyncCommunicator`'s signature
(as ``httpx.Client`` repeats ``AsyncClient``'s), so that editors and mypy see
the parameters; a test checks that the two agree.
"""

from __future__ import annotations

import asyncio
import builtins
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from candor._http import HTTPSettings
from candor.communicator._async import AsyncCommunicator
from candor.config import Config
from candor.delivery import DeliverySettings, Outcome, Sleep
from candor.errors import CandorError
from candor.keeper import PolicyAction
from candor.model import (
    ActionItem,
    ActionStatus,
    Incident,
    Organization,
    Reminder,
    Scope,
    Status,
)
from candor.policy import Policy
from candor.scorecard import Scorecard
from candor.typing import Adapter, Clock, Store
from candor.vocabulary import Capabilities, Channel, Message, Subscriber, TemplateLimits

__all__ = ["Communicator"]

T = TypeVar("T")


class Communicator:
    """The same API as :class:`AsyncCommunicator`, for code that is not async.

    Each method runs its coroutine on a private event loop; it cannot be used
    inside a running loop (use :class:`AsyncCommunicator` there).
    """

    def __init__(
        self,
        channels: Iterable[Channel] | None = None,
        *,
        store: Store | str | Path | None = None,
        policy: Policy | None = None,
        organization: Organization | None = None,
        templates_dir: str | Path | None = None,
        template_limits: TemplateLimits | None = None,
        clock: Clock | None = None,
        client: httpx.AsyncClient | None = None,
        base_dir: str | Path | None = None,
        delivery: DeliverySettings | None = None,
        sleep: Sleep | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        http: HTTPSettings | None = None,
    ) -> None:
        options: dict[str, Any] = {
            "store": store,
            "policy": policy,
            "organization": organization,
            "templates_dir": templates_dir,
            "template_limits": template_limits,
            "clock": clock,
            "client": client,
            "base_dir": base_dir,
            "delivery": delivery,
            "sleep": sleep,
            "on_outcome": on_outcome,
            "http": http,
        }
        self._start(_build(channels, options))

    @classmethod
    def from_config(
        cls,
        path: str | Path | Config | None = None,
        *,
        store: Store | str | Path | None = None,
        policy: Policy | None = None,
        organization: Organization | None = None,
        templates_dir: str | Path | None = None,
        template_limits: TemplateLimits | None = None,
        clock: Clock | None = None,
        client: httpx.AsyncClient | None = None,
        base_dir: str | Path | None = None,
        delivery: DeliverySettings | None = None,
        sleep: Sleep | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        http: HTTPSettings | None = None,
    ) -> Self:
        """See :meth:`AsyncCommunicator.from_config`."""
        options: dict[str, Any] = {
            "store": store,
            "policy": policy,
            "organization": organization,
            "templates_dir": templates_dir,
            "template_limits": template_limits,
            "clock": clock,
            "client": client,
            "base_dir": base_dir,
            "delivery": delivery,
            "sleep": sleep,
            "on_outcome": on_outcome,
            "http": http,
        }
        self = cls.__new__(cls)
        self._start(_from_config(path, options))
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

    @property
    def capabilities(self) -> dict[str, Capabilities]:
        """See :attr:`AsyncCommunicator.capabilities`."""
        return self._async.capabilities

    @property
    def unconfigured(self) -> dict[str, str]:
        """See :attr:`AsyncCommunicator.unconfigured`."""
        return self._async.unconfigured

    def now(self) -> datetime:
        """See :meth:`AsyncCommunicator.now`."""
        return self._async.now()

    def open(
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
        """See :meth:`AsyncCommunicator.open`."""
        return self._run(
            self._async.open(
                title,
                scope,
                message,
                status=status,
                impact=impact,
                next_update_in=next_update_in,
                started_at=started_at,
                cause=cause,
                workaround=workaround,
                allow=allow,
                reason=reason,
                channels=channels,
            )
        )

    def update(
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
        """See :meth:`AsyncCommunicator.update`."""
        return self._run(
            self._async.update(
                incident_id,
                message=message,
                status=status,
                scope=scope,
                impact=impact,
                next_update_in=next_update_in,
                cause=cause,
                workaround=workaround,
                allow=allow,
                reason=reason,
                channels=channels,
            )
        )

    def resolve(
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
        """See :meth:`AsyncCommunicator.resolve`."""
        return self._run(
            self._async.resolve(
                incident_id,
                message=message,
                cause=cause,
                changed=changed,
                prevention=prevention,
                postmortem_by=postmortem_by,
                ended_at=ended_at,
                refuse_if_untold=refuse_if_untold,
                allow=allow,
                reason=reason,
                channels=channels,
            )
        )

    def reopen(
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
        """See :meth:`AsyncCommunicator.reopen`."""
        return self._run(
            self._async.reopen(
                incident_id,
                message=message,
                status=status,
                scope=scope,
                impact=impact,
                next_update_in=next_update_in,
                workaround=workaround,
                allow=allow,
                reason=reason,
                channels=channels,
            )
        )

    def correct(
        self,
        incident_id: str,
        *,
        update: int,
        message: str,
        reason: str,
        allow: Iterable[str] = (),
    ) -> Incident:
        """See :meth:`AsyncCommunicator.correct`."""
        return self._run(
            self._async.correct(
                incident_id, update=update, message=message, reason=reason, allow=allow
            )
        )

    def find(self, reference: str) -> Incident:
        """See :meth:`AsyncCommunicator.find`."""
        return self._run(self._async.find(reference))

    def only_open(self) -> Incident:
        """See :meth:`AsyncCommunicator.only_open`."""
        return self._run(self._async.only_open())

    def get(self, incident_id: str) -> Incident:
        """See :meth:`AsyncCommunicator.get`."""
        return self._run(self._async.get(incident_id))

    def list(self, *, open_only: bool = False) -> builtins.list[Incident]:
        """See :meth:`AsyncCommunicator.list`."""
        return self._run(self._async.list(open_only=open_only))

    def preview(
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
        """See :meth:`AsyncCommunicator.preview`."""
        return self._run(
            self._async.preview(
                incident_id,
                message=message,
                title=title,
                scope=scope,
                status=status,
                impact=impact,
                next_update_in=next_update_in,
                started_at=started_at,
                cause=cause,
                workaround=workaround,
                changed=changed,
                prevention=prevention,
                postmortem_by=postmortem_by,
                ended_at=ended_at,
                channels=channels,
            )
        )

    def overdue(self, now: datetime | None = None) -> builtins.list[Reminder]:
        """See :meth:`AsyncCommunicator.overdue`."""
        return self._run(self._async.overdue(now))

    def keep_promises(self, now: datetime | None = None) -> builtins.list[PolicyAction]:
        """See :meth:`AsyncCommunicator.keep_promises`."""
        return self._run(self._async.keep_promises(now))

    def watch(
        self,
        *,
        interval: timedelta | str = "1m",
        ticks: int | None = None,
        duration: timedelta | str = "24h",
        stop: threading.Event | None = None,
        sleep: Callable[[float], Coroutine[Any, Any, None]] | None = None,
        on_action: Callable[[PolicyAction], None] | None = None,
    ) -> builtins.list[PolicyAction]:
        """See :meth:`AsyncCommunicator.watch`."""
        return self._run(
            self._async.watch(
                interval=interval,
                ticks=ticks,
                duration=duration,
                stop=stop,
                sleep=sleep,
                on_action=on_action,
            )
        )

    def publish_postmortem(
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
        """See :meth:`AsyncCommunicator.publish_postmortem`."""
        return self._run(
            self._async.publish_postmortem(
                incident_id,
                summary=summary,
                what_happened=what_happened,
                what_we_are_doing=what_we_are_doing,
                action_items=action_items,
                cause=cause,
                allow=allow,
                reason=reason,
            )
        )

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

    def subscribe(
        self,
        address: str,
        *,
        components: Iterable[str] = (),
        regions: Iterable[str] = (),
        confirmed: bool = False,
        source: str = "api",
    ) -> Subscriber:
        """See :meth:`AsyncCommunicator.subscribe`."""
        return self._run(
            self._async.subscribe(
                address, components=components, regions=regions, confirmed=confirmed, source=source
            )
        )

    def confirm(self, token: str) -> Subscriber:
        """See :meth:`AsyncCommunicator.confirm`."""
        return self._run(self._async.confirm(token))

    def unsubscribe(self, address: str | None = None, *, token: str | None = None) -> bool:
        """See :meth:`AsyncCommunicator.unsubscribe`."""
        return self._run(self._async.unsubscribe(address, token=token))

    def subscribers(self, *, confirmed_only: bool = False) -> builtins.list[Subscriber]:
        """See :meth:`AsyncCommunicator.subscribers`."""
        return self._run(self._async.subscribers(confirmed_only=confirmed_only))

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


async def _from_config(
    path: str | Path | Config | None, overrides: dict[str, Any]
) -> AsyncCommunicator:
    return AsyncCommunicator.from_config(path, **overrides)
