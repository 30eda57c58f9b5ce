"""The signed webhook adapter, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import api_outage
from tests.receiver import Receiver, serving

import candor
from candor.adapters import registry
from candor.adapters.webhook import WebhookAdapter, sign, verify_signature
from candor.config import load_config
from candor.delivery import idempotency_key
from candor.errors import ConfigError, SignatureError
from candor.testing import Clock

SECRET = "whsec-0123456789abcdef"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving(Receiver()) as (running,):
        yield running


def webhook(receiver: Receiver, **settings: object) -> candor.Channel:
    return candor.Channel(
        name="ops",
        adapter="webhook",
        audience="internal",
        settings={"url": receiver.url, "secret": SECRET, **settings},
    )


@pytest.fixture
def comms(tmp_path: Path, clock: Clock, receiver: Receiver) -> Iterator[candor.Communicator]:
    with candor.Communicator(
        [webhook(receiver)], store=tmp_path / "candor.db", clock=clock, base_dir=tmp_path
    ) as communicator:
        yield communicator


def open_incident(comms: candor.Communicator) -> candor.Incident:
    return comms.open("API down", api_outage(), "Requests to the API fail.")


class TestRequest:
    def test_it_posts_the_documented_body_signed_with_the_secret(
        self, comms: candor.Communicator, receiver: Receiver, clock: Clock
    ) -> None:
        incident = open_incident(comms)

        (request,) = receiver.requests
        headers = request.headers
        assert headers["content-type"] == "application/json"
        # signed at the real time of sending, which the receiver judges replays by
        assert abs(int(headers["x-candor-timestamp"]) - time.time()) < 60
        verify_signature(
            SECRET, headers["x-candor-timestamp"], request.body, headers["x-candor-signature"]
        )
        update = incident.updates[0]
        assert headers["idempotency-key"] == idempotency_key(incident.id, update.id, "ops")
        body = request.json
        assert set(body) == {
            "version", "type", "idempotency_key", "channel", "attempt", "sent_at",
            "organization", "incident", "update", "message", "previous",
        }  # fmt: skip
        assert (body["version"], body["type"], body["channel"]) == (1, "incident.update", "ops")
        assert body["idempotency_key"] == headers["idempotency-key"]
        assert body["incident"]["id"] == incident.id
        assert "updates" not in body["incident"]
        assert body["update"]["seq"] == 1
        assert (body["message"]["seq"], body["message"]["channel"]) == (1, "ops")
        assert body["previous"] == []

    def test_the_receipt_is_saved_and_follow_ups_carry_the_earlier_receipts(
        self, comms: candor.Communicator, receiver: Receiver
    ) -> None:
        incident = open_incident(comms)
        comms.update(incident.id, message="Found it.", status="identified")

        first, second = (r.json for r in receiver.requests)
        (delivery, _) = comms.get(incident.id).deliveries
        assert delivery.remote_id == f"r-{first['idempotency_key'][:8]}"
        assert [p["remote_id"] for p in second["previous"]] == [delivery.remote_id]
        assert second["previous"][0]["thread_root"] == delivery.remote_id
        assert first["idempotency_key"] != second["idempotency_key"]

    def test_the_body_is_compact_json_in_the_documented_order_for_every_channel_and_update(
        self, tmp_path: Path, clock: Clock, receiver: Receiver
    ) -> None:
        channels = [
            candor.Channel(
                name=name, adapter="webhook", settings={"url": receiver.url, "secret": SECRET}
            )
            for name in ("hook-a", "hook-b")
        ]
        with candor.Communicator(
            channels, store=tmp_path / "candor.db", clock=clock, base_dir=tmp_path
        ) as comms:
            first = comms.open("Zahlungen schlagen fehl – API", api_outage(), "Requests fail.")
            comms.update(first.id, message="We found the cause.", status="identified")
            second = comms.open("Login down", api_outage(), "Sign-ins fail.")

        seen = []
        for request in receiver.requests:
            body = request.json
            assert list(body) == [
                "version", "type", "idempotency_key", "channel", "attempt", "sent_at",
                "organization", "incident", "update", "message", "previous",
            ]  # fmt: skip
            assert (
                request.body == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            )
            assert body["message"]["channel"] == body["channel"]
            seen.append((body["incident"]["id"], body["update"]["seq"], body["channel"]))
        assert sorted(seen) == sorted(
            (incident, seq, channel)
            for incident, seq in ((first.id, 1), (first.id, 2), (second.id, 1))
            for channel in ("hook-a", "hook-b")
        )
        assert "Zahlungen schlagen fehl – API" in receiver.requests[0].body.decode()

    def test_user_headers_are_sent_and_reserved_ones_refused(
        self, tmp_path: Path, receiver: Receiver
    ) -> None:
        with candor.Communicator(
            [webhook(receiver, headers={"Authorization": "Bearer abc"})],
            store=tmp_path / "candor.db",
            base_dir=tmp_path,
        ) as comms:
            open_incident(comms)
        assert receiver.requests[0].headers["authorization"] == "Bearer abc"
        with pytest.raises(ConfigError, match="set by candor") as caught:
            candor.Communicator(
                [webhook(receiver, headers={"Idempotency-Key": "x"})], base_dir=tmp_path
            )
        assert caught.value.channel == "ops"


class TestSignature:
    BODY = b'{"version":1}'

    def test_a_good_signature_verifies(self) -> None:
        now = time.time()
        stamp = str(int(now))
        verify_signature(SECRET, stamp, self.BODY, sign(SECRET, stamp, self.BODY))

    @pytest.mark.parametrize(
        ("secret", "body"), [("another-secret-000", BODY), (SECRET, b'{"version":2}')]
    )
    def test_a_wrong_secret_or_a_changed_body_is_refused(self, secret: str, body: bytes) -> None:
        stamp = str(int(time.time()))
        with pytest.raises(SignatureError, match="does not match"):
            verify_signature(SECRET, stamp, body, sign(secret, stamp, self.BODY))

    def test_a_stale_or_malformed_timestamp_is_refused(self) -> None:
        stamp = str(int(time.time()) - 301)
        with pytest.raises(SignatureError, match="tolerance"):
            verify_signature(SECRET, stamp, self.BODY, sign(SECRET, stamp, self.BODY))
        with pytest.raises(SignatureError, match="whole number"):
            verify_signature(SECRET, "yesterday", self.BODY, "sha256=00")
        assert issubclass(SignatureError, ValueError)


class TestSettings:
    def test_it_is_registered_through_the_entry_point(self) -> None:
        assert registry.load("webhook") is WebhookAdapter

    @pytest.mark.parametrize(
        ("settings", "key"),
        [
            ({"secret": SECRET}, "url"),
            ({"url": "http://127.0.0.1:9/hook"}, "secret"),
            ({"url": "ftp://example.com/x", "secret": SECRET}, "url"),
            ({"url": "http://127.0.0.1:9/hook", "secret": "short"}, "secret"),
            ({"url": "http://127.0.0.1:9/hook", "secret": SECRET, "colour": 1}, "colour"),
        ],
    )
    def test_a_wrong_setting_is_a_config_error_naming_channel_and_key(
        self, tmp_path: Path, settings: dict[str, object], key: str
    ) -> None:
        channel = candor.Channel(name="ops", adapter="webhook", settings=settings)
        with pytest.raises(ConfigError) as caught:
            candor.Communicator([channel], base_dir=tmp_path)
        assert (caught.value.channel, caught.value.key) == ("ops", key)
        assert SECRET not in str(caught.value)

    def test_the_secret_comes_from_the_environment_and_never_prints(
        self, tmp_path: Path, receiver: Receiver
    ) -> None:
        config = tmp_path / "candor.toml"
        config.write_text(
            f'[[channels]]\nname = "ops"\nadapter = "webhook"\nurl = "{receiver.url}"\n'
            'secret = "${CANDOR_TEST_WEBHOOK_SECRET}"\n',
            encoding="utf-8",
        )
        loaded = load_config(config, environ={"CANDOR_TEST_WEBHOOK_SECRET": SECRET})
        adapter = WebhookAdapter(loaded.channels[0], client=None, base_dir=tmp_path)  # type: ignore[arg-type]
        assert adapter.settings.secret.get_secret_value() == SECRET
        assert SECRET not in repr(adapter.settings)
        assert receiver.url not in repr(adapter.settings)
        # Unset, it leaves this channel unconfigured (named), not every command failing.
        (waiting,) = load_config(config, environ={}).channels
        assert waiting.unset == ("CANDOR_TEST_WEBHOOK_SECRET",)
