"""The email adapter, against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import api_outage
from tests.smtp_server import Mailbox

import candor
from candor.adapters.email import EmailAdapter, message_id
from candor.errors import ConfigError
from candor.model import DeliveryState
from candor.store.sqlite import SQLiteStore
from candor.testing import Clock
from candor.testing.contract import AdapterContract, FailureKind
from candor.typing import Adapter

FIXED = ("oncall@acme.example", "lead@acme.example")
SECRET = "email-secret-for-the-tests-0123456789"


def email_channel(port: int, **settings: Any) -> candor.Channel:
    chosen: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "Acme Status <status@acme.example>",
        "to": list(FIXED),
        "subscribers": False,
        **settings,
    }
    return candor.Channel(name="mail", adapter="email", settings=chosen)


@pytest.fixture
def comms(
    tmp_path: Path, clock: Clock, server: tuple[Mailbox, int], mailbox: Mailbox
) -> Iterator[candor.Communicator]:
    with candor.Communicator(
        [email_channel(server[1])],
        store=tmp_path / "candor.db",
        clock=clock,
        sleep=clock.sleep,
        base_dir=tmp_path,
        organization=candor.Organization(
            name="Acme", status_page_url="https://status.acme.example"
        ),
    ) as communicator:
        yield communicator


def tell_the_whole_story(comms: candor.Communicator) -> candor.Incident:
    incident = comms.open(
        "Checkout failing in eu-west",
        api_outage(components=["Checkout"]),
        "Payments at checkout fail with an error.",
    )
    comms.update(
        incident.id,
        status="identified",
        cause="an expired TLS certificate",
        message="We are replacing the certificate.",
    )
    return comms.resolve(
        incident.id,
        message="Payments succeed again.",
        cause="an expired TLS certificate",
        postmortem_by="2026-11-30",
    )


class TestMessages:
    def test_each_recipient_gets_one_multipart_mail_per_update_with_status_and_title(
        self, comms: candor.Communicator, mailbox: Mailbox
    ) -> None:
        incident = tell_the_whole_story(comms)

        for address in FIXED:
            mails = mailbox.to(address)
            assert [m.message["Subject"] for m in mails] == [
                "[Investigating] Checkout failing in eu-west",
                "[Identified] Checkout failing in eu-west",
                "[Resolved] Checkout failing in eu-west",
            ]
            for mail in mails:
                assert mail.recipients == [address]
                assert mail.to == address
                assert mail.sender == "status@acme.example"
                assert mail.message["From"] == "Acme Status <status@acme.example>"
                assert mail.message["Auto-Submitted"] == "auto-generated"
                assert mail.message.get_content_type() == "multipart/alternative"
                kinds = [part.get_content_type() for part in mail.message.iter_parts()]
                assert kinds == ["text/plain", "text/html"]
        assert {d.state for d in incident.deliveries} == {DeliveryState.SENT}

    def test_the_plain_text_is_the_long_form_and_the_html_is_escaped(
        self, comms: candor.Communicator, mailbox: Mailbox
    ) -> None:
        comms.open(
            "Checkout <b>failing</b> & slow",
            api_outage(components=["Checkout"]),
            "Payments fail with <script>alert(1)</script> in the page.",
        )
        mail = mailbox.to(FIXED[0])[0]
        text = mail.message.get_body(("plain",))
        html = mail.message.get_body(("html",))
        assert text is not None
        assert html is not None
        plain = text.get_content()
        assert "Payments fail with <script>alert(1)</script> in the page." in plain
        markup = html.get_content()
        assert "<script>" not in markup
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
        assert "Checkout &lt;b&gt;failing&lt;/b&gt; &amp; slow" in markup


class TestThreading:
    def test_every_update_replies_to_the_incidents_first_mail_to_that_recipient(
        self, comms: candor.Communicator, mailbox: Mailbox
    ) -> None:
        incident = tell_the_whole_story(comms)

        first_ids = set()
        for address in FIXED:
            first, *later = mailbox.to(address)
            root = first.message["Message-ID"]
            first_ids.add(root)
            assert root == message_id(incident.id, incident.updates[0].id, address, "acme.example")
            assert first.message["In-Reply-To"] is None
            for mail, update in zip(later, incident.updates[1:], strict=True):
                assert mail.message["In-Reply-To"] == root
                assert mail.message["References"] == root
                assert mail.message["Message-ID"] == message_id(
                    incident.id, update.id, address, "acme.example"
                )
            assert len({m.message["Message-ID"] for m in (first, *later)}) == 3
        assert len(first_ids) == len(FIXED), "each recipient has a thread of their own"

    def test_the_message_id_is_stable_for_an_incident_update_and_recipient(self) -> None:
        one = message_id("inc-1", "upd-1", "ana@example.org", "acme.example")
        assert one == message_id("inc-1", "upd-1", "ANA@example.org", "acme.example")
        assert one != message_id("inc-1", "upd-2", "ana@example.org", "acme.example")
        assert one != message_id("inc-1", "upd-1", "bo@example.org", "acme.example")
        assert one.startswith("<")
        assert one.endswith("@acme.example>")

    def test_fixed_recipients_get_no_unsubscribe_headers(
        self, comms: candor.Communicator, mailbox: Mailbox
    ) -> None:
        comms.open("API down", api_outage(), "Requests to the API fail.")
        mail = mailbox.to(FIXED[0])[0]
        assert mail.message["List-Unsubscribe"] is None


class TestAnswers:
    def test_a_4xx_defers_only_that_recipient_and_it_gets_the_mail_once_later(
        self, comms: candor.Communicator, mailbox: Mailbox, tmp_path: Path
    ) -> None:
        mailbox.script[FIXED[1]] = ["451 4.3.0 Mailbox busy, try later"]

        incident = comms.open("API down", api_outage(), "Requests to the API fail.")

        assert [r[1] for r in mailbox.refused] == ["451 4.3.0 Mailbox busy, try later"]
        assert len(mailbox.to(FIXED[0])) == 1, "the accepted recipient is not mailed again"
        assert len(mailbox.to(FIXED[1])) == 1
        (delivery,) = incident.deliveries
        assert delivery.state is DeliveryState.SENT
        assert delivery.attempts == 2

    def test_a_5xx_fails_that_recipient_in_the_servers_words_and_is_never_retried(
        self, comms: candor.Communicator, mailbox: Mailbox
    ) -> None:
        mailbox.script[FIXED[1]] = ["550 5.1.1 No such user here"]

        incident = comms.open("API down", api_outage(), "Requests to the API fail.")

        (delivery,) = incident.deliveries
        assert delivery.state is DeliveryState.FAILED
        assert delivery.last_error is not None
        assert "550 5.1.1 No such user here" in delivery.last_error
        assert FIXED[1] in delivery.last_error
        assert len(mailbox.to(FIXED[0])) == 1
        assert mailbox.to(FIXED[1]) == []
        assert len(mailbox.refused) == 1, "a refusal for good is not retried"

        comms.deliver_pending(retry_failed=True)
        assert len(mailbox.refused) == 1, "nor when the row is owed again"
        assert len(mailbox.to(FIXED[0])) == 1, "and the others are not mailed twice"

    def test_a_server_that_cannot_be_reached_leaves_everyone_owed(
        self, tmp_path: Path, clock: Clock, mailbox: Mailbox
    ) -> None:
        from tests.smtp_server import free_port

        with candor.Communicator(
            [email_channel(free_port())],
            store=tmp_path / "candor.db",
            clock=clock,
            sleep=clock.sleep,
            base_dir=tmp_path,
        ) as comms:
            incident = comms.open("API down", api_outage(), "Requests to the API fail.")
            (delivery,) = incident.deliveries
            assert delivery.state is DeliveryState.RETRY
            assert delivery.last_error is not None
            assert "cannot connect to the SMTP server" in delivery.last_error
            store = SQLiteStore(tmp_path / "candor.db")
            (item,) = store.pending()
            assert item.id is not None
            assert {r.state.value for r in store.recipients(item.id)} == {"retry"}
            store.close()


class TestSettings:
    def test_security_none_is_refused_for_a_host_that_is_not_loopback(self) -> None:
        channel = candor.Channel(
            name="mail",
            adapter="email",
            settings={"host": "smtp.example.org", "security": "none", "from": "s@example.org",
                      "subscribers": False},
        )  # fmt: skip
        with pytest.raises(ConfigError, match=r"only for a relay on 127\.0\.0\.1"):
            candor.Communicator([channel], store=":memory:")

    def test_subscribers_need_a_secret_to_sign_their_links(self) -> None:
        channel = candor.Channel(
            name="mail",
            adapter="email",
            settings={"host": "smtp.example.org", "from": "s@example.org"},
        )
        with pytest.raises(ConfigError, match="secret is needed"):
            candor.Communicator([channel], store=":memory:")

    def test_a_bad_address_is_named(self) -> None:
        channel = candor.Channel(
            name="mail",
            adapter="email",
            settings={"host": "smtp.example.org", "from": "s@example.org",
                      "to": ["oncall@acme.example", "not an address"], "subscribers": False},
        )  # fmt: skip
        with pytest.raises(ConfigError, match="not an address"):
            candor.Communicator([channel], store=":memory:")

    def test_it_is_registered_as_email(self) -> None:
        from candor.adapters import registry

        assert registry.load("email") is EmailAdapter


class TestEmailContract(AdapterContract):
    """The adapter kit's contract, posting to the fixed recipients on the real server."""

    secrets = (SECRET,)

    @pytest.fixture(autouse=True)
    def _server(self, server: tuple[Mailbox, int], mailbox: Mailbox) -> None:
        self.mailbox, self.port = server

    def make_adapter(self, tmp_path: Path) -> Adapter:
        channel = email_channel(
            self.port, to=[FIXED[0]], subscribers=True, secret=SECRET, timeout=0.5
        )
        channel = channel.model_copy(update={"name": self.channel})
        return EmailAdapter(channel, client=httpx.AsyncClient(), base_dir=tmp_path)

    def service_posts(self, adapter: Adapter) -> list[str]:
        texts = []
        for mail in self.mailbox.to(FIXED[0]):
            body = mail.message.get_body(("plain",))
            assert body is not None
            texts.append(body.get_content().replace("\r\n", "\n").split("\n\n-- \n")[0])
        return texts

    def induce_failure(self, adapter: Adapter, kind: FailureKind) -> bool:
        if kind == "auth":  # RFC 4954: 530 when the server wants authentication first
            self.mailbox.senders.append("530 5.7.0 Authentication required")
        elif kind == "validation":
            self.mailbox.script[FIXED[0]] = ["550 5.1.1 No such user here"]
        elif kind == "server":
            self.mailbox.script[FIXED[0]] = ["451 4.3.0 Try again later"]
        else:
            self.mailbox.delay = 1.0  # over the channel's timeout of 0.5 s
        return True
