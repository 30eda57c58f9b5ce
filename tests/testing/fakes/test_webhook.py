"""FakeWebhook verifies candor's HMAC-SHA256 signature over "<timestamp>.<body>"."""

from __future__ import annotations

import hashlib
import hmac
import json

from candor.testing import Clock
from candor.testing.fakes import FakeWebhook, sign
from tests.testing.fakes.conftest import client_for


def signed(
    clock: Clock, body: bytes, secret: str = "webhook-secret", skew: int = 0
) -> dict[str, str]:
    stamp = int(clock().timestamp()) + skew
    return {"X-Candor-Timestamp": str(stamp), "X-Candor-Signature": sign(secret, stamp, body),
            "Content-Type": "application/json"}  # fmt: skip


class TestSignature:
    def test_sign_is_hmac_sha256_over_timestamp_dot_body(self) -> None:
        expected = hmac.new(b"s", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert sign("s", 1700000000, b"{}") == f"sha256={expected}"

    def test_a_signed_delivery_is_taken(self, clock: Clock) -> None:
        fake = FakeWebhook(clock=clock)
        body = json.dumps({"incident": "inc-1", "status": "investigating"}).encode()
        answer = client_for(fake).post("/candor", content=body, headers=signed(clock, body))
        assert answer.status_code == 200
        assert fake.deliveries == [{"incident": "inc-1", "status": "investigating"}]

    def test_a_wrong_secret_a_changed_body_or_no_signature_is_refused(self, clock: Clock) -> None:
        fake = FakeWebhook(clock=clock)
        http = client_for(fake)
        body = b'{"a": 1}'
        assert (
            http.post("/candor", content=body, headers=signed(clock, body, "no")).status_code == 401
        )
        assert (
            http.post("/candor", content=b'{"a": 2}', headers=signed(clock, body)).status_code
            == 401
        )
        assert http.post("/candor", content=body).status_code == 401
        assert fake.deliveries == []

    def test_an_old_timestamp_is_a_replay(self, clock: Clock) -> None:
        body = b"{}"
        answer = client_for(FakeWebhook(clock=clock)).post(
            "/candor", content=body, headers=signed(clock, body, skew=-301)
        )
        assert answer.status_code == 401
        assert "replay" in answer.json()["error"]

    def test_the_same_idempotency_key_is_one_delivery(self, clock: Clock) -> None:
        fake = FakeWebhook(clock=clock)
        body = b'{"a": 1}'
        headers = {**signed(clock, body), "Idempotency-Key": "k"}
        for _ in range(2):
            client_for(fake).post("/candor", content=body, headers=headers)
        assert len(fake.deliveries) == 1
