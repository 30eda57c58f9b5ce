"""A fake receiver of candor's signed webhook.

There is no service to follow: the contract is candor's own (docs/webhook.md),
built on two common conventions, each cited where the fake enforces it: a
signature over ``"<timestamp>.<body>"`` with a timestamp tolerance against
replays (as Stripe's and the Standard Webhooks specification,
https://www.standardwebhooks.com/, sign theirs), and the ``Idempotency-Key``
request header of the IETF draft
https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/ .

candor signs each delivery with HMAC-SHA256 over ``"<timestamp>.<body>"``
using the channel's secret, and sends ``X-Candor-Timestamp: <unix seconds>``
and ``X-Candor-Signature: sha256=<hex>``. The receiver refuses (401) a missing
or wrong signature and a timestamp more than ``tolerance`` from its clock
(replays), refuses (400) a body that is not JSON, and takes a delivery whose
``Idempotency-Key`` header it has seen as the same one.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from candor.testing.fakes._base import FakeService, Reply, Request

__all__ = ["FakeWebhook", "sign"]


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Candor-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


class FakeWebhook(FakeService):
    """Receives candor's webhook at ``path``, checking it was signed with ``secret``."""

    service = "webhook"
    base_url = "https://hooks.example"

    def __init__(
        self,
        *,
        secret: str = "webhook-secret",
        path: str = "/candor",
        tolerance: timedelta = timedelta(minutes=5),
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.secret = secret
        self.path = path
        self.tolerance = tolerance
        self.deliveries: list[Any] = []
        self._keys: set[str] = set()

    def route(self, request: Request) -> Reply:
        if request.path != self.path:
            return Reply.json(404, {"error": "not found"})
        if request.method != "POST":
            return Reply.json(405, {"error": "method not allowed"})
        stamp = request.headers.get("x-candor-timestamp", "")
        signature = request.headers.get("x-candor-signature", "")
        if not stamp.isdigit() or not signature:
            return Reply.json(401, {"error": "missing X-Candor-Timestamp or X-Candor-Signature"})
        if not hmac.compare_digest(signature, sign(self.secret, stamp, request.body)):
            return Reply.json(401, {"error": "bad signature"})
        skew = abs(request.at.timestamp() - int(stamp))
        if skew > self.tolerance.total_seconds():
            return Reply.json(401, {"error": "timestamp too far from now (replay?)"})
        try:
            payload = request.json()
        except ValueError:
            return Reply.json(400, {"error": "the body is not JSON"})
        key = request.headers.get("idempotency-key")
        if key is not None and key in self._keys:
            return Reply.json(200, {"ok": True, "duplicate": True})
        if key is not None:
            self._keys.add(key)
        self.deliveries.append(payload)
        return Reply.json(200, {"ok": True, "duplicate": False})
