"""Subscribers: double opt-in, filters, one thread from start to end, unsubscribing at once.

Every mail goes to a real SMTP server (aiosmtpd) on 127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

import candor
from candor.errors import ConfigError, InputError, StoreError
from candor.model import DeliveryState
from candor.store.sqlite import SQLiteStore
from candor.testing import Clock
from candor.typing import SubscriberStore
from tests.conftest import api_outage
from tests.smtp_server import Mail, Mailbox, free_port

SECRET = "subscriber-links-secret-0123456789abcdef"
ORGANIZATION = candor.Organization(name="Acme", status_page_url="https://status.acme.example")


def channel(port: int, **settings: Any) -> candor.Channel:
    return candor.Channel(
        name="subscribers",
        adapter="email",
        settings={
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "from": "Acme Status <status@acme.example>",
            "secret": SECRET,
            **settings,
        },
    )


def communicator(tmp_path: Path, clock: Clock, port: int, **settings: Any) -> candor.Communicator:
    return candor.Communicator(
        [channel(port, **settings)],
        store=tmp_path / "candor.db",
        clock=clock,
        sleep=clock.sleep,
        base_dir=tmp_path,
        organization=ORGANIZATION,
    )


@pytest.fixture
def comms(
    tmp_path: Path, clock: Clock, server: tuple[Mailbox, int], mailbox: Mailbox
) -> Iterator[candor.Communicator]:
    with communicator(tmp_path, clock, server[1]) as made:
        yield made


def token_in(mail: Mail) -> str:
    body = mail.message.get_body(("plain",))
    assert body is not None
    found = re.search(r"token=([A-Za-z0-9_.%-]+)", body.get_content())
    assert found is not None, body.get_content()
    return parse_qs(f"token={found.group(1)}")["token"][0]


def subscribe(comms: candor.Communicator, address: str, **filters: Any) -> candor.Subscriber:
    return comms.subscribe(address, confirmed=True, **filters)


class TestDoubleOptIn:
    def test_subscribing_mails_a_signed_link_and_nothing_else_until_it_is_used(
        self, comms: candor.Communicator, mailbox: Mailbox
    ) -> None:
        made = comms.subscribe("ana@example.org", components=["API"])
        assert not made.confirmed
        (mail,) = mailbox.to("ana@example.org")
        assert "Confirm your subscription" in str(mail.message["Subject"])
        body = mail.message.get_body(("plain",))
        assert body is not None
        assert "https://status.acme.example/subscribe/confirm?token=" in body.get_content()

        comms.open("API down", api_outage(), "Requests to the API fail.")
        assert len(mailbox.to("ana@example.org")) == 1, "not confirmed: no incident mail"

        confirmed = comms.confirm(token_in(mail))
        assert confirmed.confirmed
        assert confirmed.components == ("API",)
        (incident,) = comms.list()
        comms.update(incident.id, status="identified", message="We found the faulty deploy.")
        assert [str(m.message["Subject"]) for m in mailbox.to("ana@example.org")][1:] == [
            "[Identified] API down"
        ]

    def test_a_forged_or_cut_token_is_refused_by_name(self, comms: candor.Communicator) -> None:
        comms.subscribe("ana@example.org")
        with pytest.raises(InputError, match="token"):
            comms.confirm("bm90LWEtdG9rZW4.AAAA")
        with pytest.raises(InputError, match="token"):
            comms.confirm("")
        assert not comms.subscribers()[0].confirmed

    def test_an_unsubscribe_token_does_not_confirm(
        self, comms: candor.Communicator, mailbox: Mailbox
    ) -> None:
        adapter = comms.adapters["subscribers"]
        token = adapter.token("unsubscribe", "ana@example.org")  # type: ignore[attr-defined]
        comms.subscribe("ana@example.org")
        with pytest.raises(InputError, match="not to confirm"):
            comms.confirm(token)

    def test_subscribing_without_a_channel_to_confirm_through_is_a_config_error(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        with candor.Communicator([], store=tmp_path / "candor.db", clock=clock) as comms:
            with pytest.raises(ConfigError, match="no email channel"):
                comms.subscribe("ana@example.org")
            assert comms.subscribers() == []
            assert comms.subscribe("ana@example.org", confirmed=True).confirmed

    def test_a_bad_address_is_an_input_error_and_nothing_is_stored(
        self, comms: candor.Communicator
    ) -> None:
        for bad in ("", "ana", "ana@", "ana@example", "Ana <ana@example.org>", "a@b.org, c@d.org"):
            with pytest.raises(InputError, match="address"):
                comms.subscribe(bad, confirmed=True)
        with pytest.raises(InputError, match="components"):
            comms.subscribe("ana@example.org", components="API", confirmed=True)  # type: ignore[arg-type]
        assert comms.subscribers() == []


class TestFilters:
    def test_an_update_goes_to_the_confirmed_subscribers_whose_filter_meets_the_scope(
        self, comms: candor.Communicator, mailbox: Mailbox
    ) -> None:
        subscribe(comms, "all@example.org")
        subscribe(comms, "api@example.org", components=["api"])
        subscribe(comms, "checkout@example.org", components=["Checkout"])
        subscribe(comms, "eu@example.org", regions=["eu-west"])
        subscribe(comms, "us@example.org", regions=["us-east"])
        subscribe(comms, "api-us@example.org", components=["API"], regions=["us-east"])
        comms.subscribe("unconfirmed@example.org")
        mailbox.reset()

        comms.open("API down in eu-west", api_outage(), "Requests to the API fail.")

        told = sorted(address for m in mailbox.mails for address in m.recipients)
        assert told == ["all@example.org", "api@example.org", "eu@example.org"]

    def test_an_incident_without_regions_is_everywhere_for_region_filters(
        self, comms: candor.Communicator, mailbox: Mailbox
    ) -> None:
        subscribe(comms, "us@example.org", regions=["us-east"])
        subscribe(comms, "checkout@example.org", components=["Checkout"])

        comms.open("API down", api_outage(regions=[]), "Requests to the API fail everywhere.")

        assert [m.recipients for m in mailbox.mails] == [["us@example.org"]]

    def test_who_heard_the_start_hears_every_update_to_the_end_whatever_the_scope_becomes(
        self, comms: candor.Communicator, mailbox: Mailbox
    ) -> None:
        subscribe(comms, "api@example.org", components=["API"])
        subscribe(comms, "checkout@example.org", components=["Checkout"])
        incident = comms.open("API down", api_outage(), "Requests to the API fail.")
        comms.update(
            incident.id,
            status="identified",
            scope=api_outage(components=["Checkout"]),
            message="The fault is in checkout, not the API.",
        )
        comms.resolve(incident.id, message="Checkout works again.", cause="a bad deploy")

        subjects = [str(m.message["Subject"]) for m in mailbox.to("api@example.org")]
        assert subjects == [
            "[Investigating] API down",
            "[Identified] API down",
            "[Resolved] API down",
        ]
        later = [str(m.message["Subject"]) for m in mailbox.to("checkout@example.org")]
        assert later == ["[Identified] API down", "[Resolved] API down"]
        roots = {m.message["In-Reply-To"] for m in mailbox.to("api@example.org")[1:]}
        assert roots == {mailbox.to("api@example.org")[0].message["Message-ID"]}

    def test_who_is_told_is_decided_when_the_update_is_committed(
        self, tmp_path: Path, clock: Clock, server: tuple[Mailbox, int], mailbox: Mailbox
    ) -> None:
        with communicator(tmp_path, clock, free_port()) as offline:
            subscribe(offline, "early@example.org")
            incident = offline.open("API down", api_outage(), "Requests to the API fail.")
            (delivery,) = incident.deliveries
            assert delivery.state is DeliveryState.RETRY  # nobody is listening on that port
            subscribe(offline, "late@example.org")
        with communicator(tmp_path, clock, server[1]) as online:
            online.deliver_pending(force=True)
            assert [m.recipients for m in mailbox.mails] == [["early@example.org"]]
            online.update(incident.id, status="identified", message="We found the faulty deploy.")
        assert len(mailbox.to("late@example.org")) == 1, "the next update is theirs too"


class TestUnsubscribing:
    def test_every_subscriber_mail_carries_one_click_unsubscribe_with_a_signed_token(
        self, comms: candor.Communicator, mailbox: Mailbox
    ) -> None:
        subscribe(comms, "ana@example.org")
        comms.open("API down", api_outage(), "Requests to the API fail.")

        (mail,) = mailbox.to("ana@example.org")
        assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        links = re.findall(r"<([^>]+)>", str(mail.message["List-Unsubscribe"]))
        https, mailto = links
        assert https.startswith("https://status.acme.example/unsubscribe?token=")
        assert mailto == "mailto:status@acme.example?subject=unsubscribe"
        token = parse_qs(urlparse(https).query)["token"][0]

        assert comms.unsubscribe(token=token) is True
        assert comms.subscribers() == []
        assert comms.unsubscribe(token=token) is False, "a second click changes nothing"

    def test_who_unsubscribed_hears_nothing_more_of_an_incident(
        self, comms: candor.Communicator, mailbox: Mailbox
    ) -> None:
        subscribe(comms, "ana@example.org")
        subscribe(comms, "bo@example.org")
        incident = comms.open("API down", api_outage(), "Requests to the API fail.")
        comms.unsubscribe("ANA@example.org")
        comms.resolve(incident.id, message="Requests succeed again.", cause="a bad deploy")

        assert len(mailbox.to("ana@example.org")) == 1
        assert len(mailbox.to("bo@example.org")) == 2

    def test_an_unsubscribe_in_the_middle_of_a_fan_out_is_honoured_by_what_is_still_queued(
        self, tmp_path: Path, clock: Clock, server: tuple[Mailbox, int], mailbox: Mailbox
    ) -> None:
        addresses = [f"reader{number:02d}@example.org" for number in range(30)]
        other = SQLiteStore(tmp_path / "candor.db")

        def leave(mail: Mail) -> None:
            # Between two mails of the fan-out, from another connection to the store,
            # as a click on a link would come in.
            if mail.recipients == [addresses[4]]:
                other.remove_subscriber(addresses[20])

        with communicator(tmp_path, clock, server[1], connections=1) as comms:
            for address in addresses:
                subscribe(comms, address)
            mailbox.on_mail = leave
            incident = comms.open("API down", api_outage(), "Requests to the API fail.")

            told = [address for m in mailbox.mails for address in m.recipients]
            assert told == [a for a in addresses if a != addresses[20]]
            (delivery,) = incident.deliveries
            assert delivery.state is DeliveryState.SENT
            (item_id,) = {row[0] for row in _outbox_ids(tmp_path)}
            states = {r.address: r.state.value for r in other.recipients(item_id)}
            assert states[addresses[20]] == "withdrawn"
            assert set(states.values()) == {"sent", "withdrawn"}
        other.close()

    def test_unsubscribing_needs_an_address_or_a_token(self, comms: candor.Communicator) -> None:
        with pytest.raises(InputError, match="address or a token"):
            comms.unsubscribe()
        with pytest.raises(InputError, match="address or a token"):
            comms.unsubscribe("ana@example.org", token="x")


class OnlyStore:
    """A store with the Store protocol's methods and none of SubscriberStore's."""

    def __init__(self, inner: SQLiteStore) -> None:
        for name in (
            "save", "get", "list", "promises", "pending", "claim", "record_sent",
            "record_failure", "record_many", "requeue_failed", "receipts", "close_incident",
            "set_action_item", "claim_reminder", "close",
        ):  # fmt: skip
            setattr(self, name, getattr(inner, name))


class TestStores:
    def test_a_store_without_subscribers_says_so_and_an_email_row_fails_saying_why(
        self, tmp_path: Path, clock: Clock, server: tuple[Mailbox, int], mailbox: Mailbox
    ) -> None:
        store = OnlyStore(SQLiteStore(tmp_path / "candor.db"))
        assert isinstance(store, candor.Store)
        assert not isinstance(store, SubscriberStore)
        with candor.Communicator(
            [channel(server[1], to=["oncall@acme.example"])],
            store=store,  # type: ignore[arg-type]
            clock=clock,
            base_dir=tmp_path,
        ) as comms:
            with pytest.raises(StoreError, match="keeps no subscribers"):
                comms.subscribers()
            incident = comms.open("API down", api_outage(), "Requests to the API fail.")
        (delivery,) = incident.deliveries
        assert delivery.state is DeliveryState.FAILED
        assert delivery.last_error is not None
        assert "keeps no recipient ledger" in delivery.last_error
        assert mailbox.mails == []


def _outbox_ids(folder: Path) -> list[tuple[int]]:
    import sqlite3

    with sqlite3.connect(folder / "candor.db") as db:
        return list(db.execute("SELECT id FROM outbox"))


class TestUnconfiguredChannel:
    """A channel whose secret is not set yet still decides, at commit, who it owes."""

    def test_recipients_are_decided_at_commit_and_mailed_once_the_secret_is_set(
        self, tmp_path: Path, clock: Clock, server: tuple[Mailbox, int], mailbox: Mailbox
    ) -> None:
        with communicator(tmp_path, clock, server[1]) as comms:
            subscribe(comms, "ana@example.org")
        waiting = channel(
            server[1], secret="${CANDOR_EMAIL_SECRET}", to=["oncall@acme.example"]
        ).model_copy(update={"unset": ("CANDOR_EMAIL_SECRET",)})
        with candor.Communicator(
            [waiting],
            store=tmp_path / "candor.db",
            clock=clock,
            sleep=clock.sleep,
            base_dir=tmp_path,
            organization=ORGANIZATION,
        ) as comms:
            assert "subscribers" in comms.unconfigured
            incident = comms.open("API down", api_outage(), "Requests to the API fail.")
            (owed,) = incident.deliveries
            assert owed.state is not DeliveryState.SENT
            assert mailbox.mails == []
            subscribe(comms, "late@example.org")  # subscribed after the update was committed

        with communicator(tmp_path, clock, server[1], to=["oncall@acme.example"]) as comms:
            comms.deliver_pending()
            (delivery,) = comms.get(incident.id).deliveries

        assert delivery.state is DeliveryState.SENT
        assert sorted(m.to for m in mailbox.mails) == ["ana@example.org", "oncall@acme.example"]

    def test_fixed_recipients_waiting_for_a_variable_refuse_the_update_by_name(
        self, tmp_path: Path, clock: Clock, server: tuple[Mailbox, int]
    ) -> None:
        waiting = channel(server[1], secret="${CANDOR_EMAIL_SECRET}", to=["${ONCALL}"]).model_copy(
            update={"unset": ("CANDOR_EMAIL_SECRET", "ONCALL")}
        )
        with candor.Communicator(
            [waiting], store=tmp_path / "candor.db", clock=clock, base_dir=tmp_path
        ) as comms:
            with pytest.raises(ConfigError, match=r"subscribers.*to|to.*subscribers") as caught:
                comms.open("API down", api_outage(), "Requests to the API fail.")
            assert "who this update is promised to" in str(caught.value)
            assert comms.list() == [], "nothing is recorded"
