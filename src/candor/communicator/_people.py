"""The facade's subscriber methods: subscribe with double opt-in, confirm, unsubscribe, list.

Subscribers live in the store (:class:`~candor.typing.SubscriberStore`); the
confirmation mail and the signed links are the email channels'
(:class:`~candor.typing.Confirming`). Who an update goes to is decided when it
is committed (:func:`candor.compose.recipients`), not here.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Iterable

import pydantic

from candor.communicator._core import Facade
from candor.errors import ConfigError, InputError, StoreError
from candor.log import get_logger
from candor.typing import Confirming, Fanning, SubscriberStore
from candor.vocabulary import Subscriber, email_address

__all__ = ["Subscriptions"]

log = get_logger("candor")


class Subscriptions(Facade):
    """Subscribers: who asked to be told, and the double opt-in that lets them be."""

    async def subscribe(
        self,
        address: str,
        *,
        components: Iterable[str] = (),
        regions: Iterable[str] = (),
        confirmed: bool = False,
        source: str = "api",
    ) -> Subscriber:
        """Record a subscriber and mail them a link to confirm; returns them as stored.

        ``components`` and ``regions`` filter the incidents they hear of (none: every
        incident). They hear nothing until they confirm (:meth:`confirm`), unless
        ``confirmed`` says they already did elsewhere (an imported list). Subscribing
        an address again changes its filters and keeps it confirmed. The subscriber is
        recorded before the mail is sent: if the mail fails (a DeliveryError), calling
        again sends it again.
        """
        store = self._subscriber_store()
        now = self.now()
        try:
            subscriber = Subscriber(
                address=address,
                components=_names(components, "components"),
                regions=_names(regions, "regions"),
                subscribed_at=now,
                source=source,
                confirmed_at=now if confirmed else None,
            )
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "subscriber"
            raise InputError(field, first.get("input"), first["msg"]) from None
        sender = None if confirmed else self._confirmer()
        stored = await asyncio.to_thread(store.add_subscriber, subscriber)
        log.info("subscriber_recorded", confirmed=stored.confirmed, source=stored.source)
        if not stored.confirmed:
            assert sender is not None
            await sender.send_confirmation(stored, self.organization)
        return stored

    async def confirm(self, token: str) -> Subscriber:
        """Confirm the subscriber a confirmation link's token names; returns them confirmed.

        InputError when no email channel signed the token, it expired (after seven
        days), or its subscriber has unsubscribed since.
        """
        store = self._subscriber_store()
        address = self._read(token, "confirm")
        confirmed = await asyncio.to_thread(store.confirm_subscriber, address, at=self.now())
        log.info("subscriber_confirmed")
        return confirmed

    async def unsubscribe(self, address: str | None = None, *, token: str | None = None) -> bool:
        """Forget a subscriber, by address or by the token of an unsubscribe link, at once.

        Everything still queued for them is withdrawn in the same transaction:
        only a message already handed to an SMTP connection may still arrive.
        True when there was such a subscriber.
        """
        if (address is None) == (token is None):
            raise InputError("address", address, "give an address or a token, not both")
        store = self._subscriber_store()
        chosen = email_address(address) if address is not None else None
        if token is not None:
            chosen = self._read(token, "unsubscribe")
        assert chosen is not None
        removed = await asyncio.to_thread(store.remove_subscriber, chosen)
        log.info("subscriber_removed", found=removed)
        return removed

    async def subscribers(self, *, confirmed_only: bool = False) -> builtins.list[Subscriber]:
        """Every subscriber, in the order they subscribed (``confirmed_only``: the confirmed)."""
        store = self._subscriber_store()
        return await asyncio.to_thread(store.subscribers, confirmed_only=confirmed_only)

    # -- helpers --------------------------------------------------------------------------

    def _subscriber_store(self) -> SubscriberStore:
        if not isinstance(self.store, SubscriberStore):
            raise StoreError(
                f"the store ({type(self.store).__name__}) keeps no subscribers: use the SQLite"
                " store, or one that implements candor.typing.SubscriberStore"
            )
        return self.store

    def _confirmers(self) -> builtins.list[Confirming]:
        return [
            adapter
            for adapter in self.adapters.values()
            if isinstance(adapter, Confirming)
            and isinstance(adapter, Fanning)
            and adapter.include_subscribers
        ]

    def _confirmer(self) -> Confirming:
        found = self._confirmers()
        if not found:
            raise ConfigError(
                "no email channel with subscribers = true is configured to mail the confirmation"
                " (or add them as confirmed, if they confirmed elsewhere)",
                key="channels",
            )
        return found[0]

    def _read(self, token: str, purpose: str) -> str:
        """The address of a token of ``purpose`` signed by one of the email channels."""
        if not isinstance(token, str) or not token.strip():
            raise InputError("token", token, "must be the token of a link candor mailed")
        refusal: InputError | None = None
        for adapter in self._confirmers():
            try:
                said, address = adapter.read_token(token)
            except InputError as exc:
                refusal = refusal if refusal is not None and "expired" in refusal.reason else exc
                continue
            if said != purpose:
                raise InputError("token", token, f"is a link to {said}, not to {purpose}")
            return address
        if refusal is not None:
            raise refusal
        raise self._confirmer_missing(token)

    def _confirmer_missing(self, token: str) -> InputError:
        return InputError(
            "token", token, "no email channel with subscribers = true is configured to read it"
        )


def _names(value: Iterable[str], field: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InputError(field, value, "give a list of names, such as ['API']")
    return tuple(value)
