"""Delivery: classification, retries, Retry-After, deadlines, rate limits, logs, reconcile.

Scripted failures come from ``httpx.MockTransport`` behind the real webhook
adapter; time is a :class:`~tests.conftest.Clock` that the injected ``sleep``
moves, so no test waits for real time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import candor
from candor.adapters.base import Capabilities, DeliveryContext, Receipt
from candor.adapters.http import check_response, retry_after, transport_error
from candor.delivery import DeliverySettings, TokenBucket
from candor.errors import ConfigError, DeliveryError, InputError
from candor.render import Message
from candor.testing import Clock, MemoryAdapter
from tests.conftest import START, api_outage

SECRET = "whsec-0123456789abcdef"
URL = "https://hooks.example/candor"

Handler = Callable[[httpx.Request], httpx.Response]


class Sleeper:
    """An injected ``sleep`` that moves the clock instead of waiting."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds=seconds)
        await asyncio.sleep(0)


class Script:
    """Answers requests from a list, one per request; the last answer repeats."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def reply(status: int, body: Any = None, **headers: str) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


@pytest.fixture
def sleeper(clock: Clock) -> Sleeper:
    return Sleeper(clock)


@pytest.fixture
def make(tmp_path: Path, clock: Clock, sleeper: Sleeper) -> Iterator[Callable[..., Any]]:
    """Build a communicator with one webhook channel ``ops`` answered by ``script``."""
    made: list[candor.Communicator] = []

    def build(
        script: Script, *, dedupe: bool = True, settings: DeliverySettings | None = None
    ) -> candor.Communicator:
        client = httpx.AsyncClient(transport=httpx.MockTransport(script))
        channel = candor.Channel(
            name="ops",
            adapter="webhook",
            settings={"url": URL, "secret": SECRET, "receiver_deduplicates": dedupe},
        )
        comms = candor.Communicator(
            [channel],
            store=tmp_path / "candor.db",
            clock=clock,
            sleep=sleeper,
            client=client,
            base_dir=tmp_path,
            delivery=settings,
        )
        made.append(comms)
        return comms

    yield build
    for comms in made:
        comms.close()


def open_incident(comms: candor.Communicator) -> candor.Incident:
    return comms.open("API down", api_outage(), "Requests to the API fail.")


def ops(incident: candor.Incident) -> candor.Delivery:
    (delivery,) = [d for d in incident.deliveries if d.channel == "ops"]
    return delivery


class TestRefusals:
    @pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
    def test_a_refusal_is_never_retried_and_quotes_the_service(
        self, make: Callable[..., candor.Communicator], sleeper: Sleeper, status: int
    ) -> None:
        script = Script(reply(status, {"error": "token revoked for acme"}))
        incident = open_incident(make(script))

        delivery = ops(incident)
        assert len(script.requests) == 1
        assert sleeper.waits == []
        assert delivery.state == "failed"
        assert delivery.attempts == 1
        assert "channel 'ops'" in (delivery.last_error or "")
        assert f"HTTP {status}" in (delivery.last_error or "")
        assert "'token revoked for acme'" in (delivery.last_error or "")

    def test_a_failed_row_is_not_retried_by_deliver_pending(
        self, make: Callable[..., candor.Communicator], clock: Clock
    ) -> None:
        script = Script(reply(401, {"error": "bad token"}), reply(200))
        comms = make(script)
        open_incident(comms)
        clock.advance(hours=2)
        assert comms.deliver_pending(force=True) == []
        assert len(script.requests) == 1


class TestRetryFailed:
    def test_a_message_that_failed_for_good_goes_again_once_asked(
        self, make: Callable[..., candor.Communicator]
    ) -> None:
        script = Script(reply(401, {"error": "bad token"}), reply(200, {"id": "7"}))
        comms = make(script)
        incident = open_incident(comms)
        assert ops(incident).state == "failed"

        outcomes = comms.deliver_pending(retry_failed=True)

        assert [(o.channel, o.item.seq, o.state.value) for o in outcomes] == [("ops", 1, "sent")]
        delivery = ops(comms.get(incident.id))
        assert (delivery.state, delivery.remote_id, delivery.attempts) == ("sent", "7", 2)
        first, second = script.requests
        assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]

    def test_a_channel_catches_up_in_order_from_the_first_update_it_missed(
        self, make: Callable[..., candor.Communicator]
    ) -> None:
        refused = reply(401, {"error": "bad token"})
        script = Script(refused, refused, reply(200))
        comms = make(script)
        incident = open_incident(comms)
        comms.update(incident.id, message="We found the cause.", status="identified")

        outcomes = comms.deliver_pending(retry_failed=True)

        assert [(o.item.seq, o.state.value) for o in outcomes] == [(1, "sent"), (2, "sent")]
        sent = [json.loads(r.content)["update"]["seq"] for r in script.requests[2:]]
        assert sent == [1, 2]

    def test_a_failed_message_a_later_update_overtook_stays_failed(
        self, make: Callable[..., candor.Communicator]
    ) -> None:
        script = Script(reply(401, {"error": "bad token"}), reply(200))
        comms = make(script)
        incident = open_incident(comms)
        comms.update(incident.id, message="We found the cause.", status="identified")

        assert comms.deliver_pending(retry_failed=True) == []

        assert len(script.requests) == 2
        states = [(d.seq, d.state) for d in comms.get(incident.id).deliveries]
        assert states == [(1, "failed"), (2, "sent")]

    def test_channels_limit_it_and_must_be_configured(
        self, make: Callable[..., candor.Communicator]
    ) -> None:
        script = Script(reply(401, {"error": "bad token"}), reply(200))
        comms = make(script)
        open_incident(comms)

        with pytest.raises(ConfigError, match="'nowhere'"):
            comms.deliver_pending(retry_failed=True, channels=["nowhere"])
        with pytest.raises(InputError, match="only limits retry_failed"):
            comms.deliver_pending(channels=["ops"])
        assert len(script.requests) == 1
        (outcome,) = comms.deliver_pending(retry_failed=True, channels=["ops"])
        assert outcome.sent


class TestTransientFailures:
    def test_a_connection_error_is_retried_with_jittered_backoff_then_sent(
        self, make: Callable[..., candor.Communicator], sleeper: Sleeper
    ) -> None:
        refused = httpx.ConnectError("[Errno 111] Connection refused")
        script = Script(refused, refused, reply(200, {"id": "42"}))
        incident = open_incident(make(script, dedupe=False))

        delivery = ops(incident)
        assert (delivery.state, delivery.attempts, delivery.remote_id) == ("sent", 3, "42")
        assert len(sleeper.waits) == 2
        assert 0 <= sleeper.waits[0] <= 0.25 * 2
        assert 0 <= sleeper.waits[1] <= 0.25 * 4
        keys = {r.headers["Idempotency-Key"] for r in script.requests}
        assert len(keys) == 1  # the same key on every retry

    def test_a_5xx_is_retried_at_once_where_the_receiver_deduplicates(
        self, make: Callable[..., candor.Communicator]
    ) -> None:
        script = Script(reply(502), reply(500, {"message": "oops"}), reply(200))
        incident = open_incident(make(script, dedupe=True))
        assert ops(incident).state == "sent"
        assert len(script.requests) == 3

    @pytest.mark.parametrize(
        "failure", [reply(502), httpx.ReadTimeout("timed out")], ids=["502", "read-timeout"]
    )
    def test_a_maybe_delivered_failure_goes_back_to_the_outbox_without_idempotency(
        self,
        make: Callable[..., candor.Communicator],
        sleeper: Sleeper,
        clock: Clock,
        failure: httpx.Response | Exception,
    ) -> None:
        script = Script(failure, reply(200))
        comms = make(script, dedupe=False)
        incident = open_incident(comms)

        delivery = ops(incident)
        assert len(script.requests) == 1
        assert sleeper.waits == []
        assert delivery.state == "retry"
        assert delivery.next_attempt_at is not None
        assert (
            START + timedelta(seconds=23)
            < delivery.next_attempt_at
            <= START + timedelta(seconds=30)
        )
        (item,) = comms.store.pending()
        assert item.maybe_sent
        clock.advance(minutes=1)
        (outcome,) = comms.deliver_pending()
        assert outcome.sent
        assert outcome.attempts == 2

    def test_tries_stop_at_max_attempts_and_the_row_waits_in_the_outbox(
        self, make: Callable[..., candor.Communicator]
    ) -> None:
        script = Script(reply(500))
        incident = open_incident(make(script, settings=DeliverySettings(max_attempts=3)))
        assert len(script.requests) == 3
        assert (ops(incident).state, ops(incident).attempts) == ("retry", 3)

    def test_tries_stop_at_the_deadline(
        self, make: Callable[..., candor.Communicator], sleeper: Sleeper
    ) -> None:
        settings = DeliverySettings(max_attempts=50, backoff=1, backoff_max=1, deadline=5)
        script = Script(reply(503))  # no Retry-After: a plain 5xx
        incident = open_incident(make(script, settings=settings))
        assert ops(incident).state == "retry"
        assert sum(sleeper.waits) < 5
        assert 1 < len(script.requests) < 50  # the deadline stopped it, not max_attempts

    def test_cancellation_is_never_retried(self, tmp_path: Path, clock: Clock) -> None:
        class Cancelling(MemoryAdapter):
            calls = 0

            async def post(self, message: Message, context: DeliveryContext) -> Receipt:
                self.calls += 1
                raise asyncio.CancelledError

        adapter = Cancelling("x", capabilities=Capabilities(idempotency=True))

        async def scenario() -> None:
            async with candor.AsyncCommunicator(
                [candor.Channel(name="x", adapter=adapter)],
                store=tmp_path / "candor.db",
                clock=clock,
                base_dir=tmp_path,
            ) as comms:
                with pytest.raises(asyncio.CancelledError):
                    await comms.open("API down", api_outage(), "It fails.")

        asyncio.run(scenario())
        assert adapter.calls == 1


class TestRetryAfter:
    @pytest.mark.parametrize(
        "answer",
        [
            reply(429, None, **{"Retry-After": "7"}),
            reply(503, None, **{"Retry-After": format_datetime(START + timedelta(seconds=7))}),
            reply(429, {"retry_after": 7.0}),
            reply(429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 7000}),
        ],
        ids=["seconds", "http-date", "json", "matrix-ms"],
    )
    def test_the_wait_the_service_asks_for_is_honoured(
        self, make: Callable[..., candor.Communicator], sleeper: Sleeper, answer: httpx.Response
    ) -> None:
        script = Script(answer, reply(200))
        incident = open_incident(make(script, dedupe=False))
        assert ops(incident).state == "sent"
        assert sleeper.waits == [pytest.approx(7.0)]

    def test_a_wait_past_the_cap_goes_back_to_the_outbox_instead_of_sleeping(
        self, make: Callable[..., candor.Communicator], sleeper: Sleeper, clock: Clock
    ) -> None:
        script = Script(reply(429, None, **{"Retry-After": "3600"}), reply(200))
        comms = make(script)
        incident = open_incident(comms)

        assert sleeper.waits == []
        delivery = ops(incident)
        assert delivery.state == "retry"
        assert delivery.next_attempt_at == START + timedelta(seconds=3600)
        (waiting,) = comms.deliver_pending()
        assert waiting.state == "retry"
        assert len(script.requests) == 1
        clock.advance(hours=1)
        (outcome,) = comms.deliver_pending()
        assert outcome.sent

    def test_parsing(self) -> None:
        def parsed(response: httpx.Response) -> float | None:
            return retry_after(response, now=START)

        assert parsed(reply(429, None, **{"Retry-After": "120"})) == 120
        past = format_datetime(START - timedelta(minutes=5))
        assert parsed(reply(503, None, **{"Retry-After": past})) == 0
        assert parsed(reply(429, {"parameters": {"retry_after": 3}})) == 3
        assert parsed(reply(429, None, **{"Retry-After": "soon"})) is None
        assert parsed(reply(429, {"retry_after": True})) is None


class TestClassification:
    def make_response(self, status: int, body: Any = None, **headers: str) -> httpx.Response:
        response = reply(status, body, **headers)
        response.request = httpx.Request("POST", URL)
        return response

    def test_secrets_are_scrubbed_from_quoted_service_messages(self) -> None:
        response = self.make_response(401, {"error": f"token {SECRET} is revoked"})
        with pytest.raises(DeliveryError) as caught:
            check_response("ops", response, secrets=[SECRET])
        assert SECRET not in str(caught.value)
        assert "**********" in str(caught.value)
        assert (caught.value.status_code, caught.value.retryable) == (401, False)

    @pytest.mark.parametrize(
        ("error", "maybe"),
        [
            (httpx.ConnectError("refused"), False),
            (httpx.ConnectTimeout("slow"), False),
            (httpx.PoolTimeout("busy"), False),
            (httpx.ProxyError("403 Forbidden"), False),
            (httpx.ReadTimeout("timed out"), True),
            (httpx.RemoteProtocolError("peer closed"), True),
        ],
    )
    def test_transport_errors(self, error: httpx.HTTPError, maybe: bool) -> None:
        error.request = httpx.Request("POST", URL)
        classified = transport_error("ops", error)
        assert (classified.retryable, classified.maybe_delivered) == (True, maybe)
        assert URL not in str(classified)

    def test_a_redirect_is_a_refusal_that_says_to_check_the_url(self) -> None:
        with pytest.raises(DeliveryError, match="check the channel's URL") as caught:
            check_response("ops", self.make_response(301, None, Location="https://x/"))
        assert not caught.value.retryable


class TestReconcile:
    def test_a_maybe_sent_row_is_reconciled_before_posting_again(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        class Reconciler(MemoryAdapter):
            found: Receipt | None = None

            async def reconcile(self, message: Message, context: DeliveryContext) -> Receipt | None:
                return self.found

        adapter = Reconciler("x", capabilities=Capabilities(threading=True))  # no idempotency
        adapter.fail_next(status_code=504)
        with candor.Communicator(
            [candor.Channel(name="x", adapter=adapter)],
            store=tmp_path / "candor.db",
            clock=clock,
            base_dir=tmp_path,
        ) as comms:
            incident = open_incident(comms)
            adapter.found = Receipt(channel="x", remote_id="already-there")
            clock.advance(hours=1)
            (outcome,) = comms.deliver_pending()
            assert outcome.sent
            assert adapter.posted == []
            assert ops_like(comms.get(incident.id), "x").remote_id == "already-there"


def ops_like(incident: candor.Incident, channel: str) -> candor.Delivery:
    return next(d for d in incident.deliveries if d.channel == channel)


class TestRateLimits:
    def test_a_token_bucket_allows_a_burst_then_paces(self, clock: Clock) -> None:
        sleeper = Sleeper(clock)
        bucket = TokenBucket(2.0, 3, clock, sleeper)
        granted = []

        async def take(times: int) -> None:
            for _ in range(times):
                await bucket.take()
                granted.append((clock.now - START).total_seconds())

        asyncio.run(take(6))
        assert granted == [0, 0, 0, 0.5, 1.0, 1.5]
        clock.advance(seconds=10)  # idle: the bucket refills to the burst, no further
        granted.clear()
        asyncio.run(take(4))
        assert [g - 11.5 for g in granted] == [0, 0, 0, 0.5]

    def test_a_burst_of_updates_never_trips_the_services_limit(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        class Limited(MemoryAdapter):
            """A service allowing 1 request a second with bursts of 2; it counts every trip."""

            def __init__(self) -> None:
                super().__init__(
                    "x", capabilities=Capabilities(rate_limit=1.0, burst=2, idempotency=True)
                )
                self.seen: list[float] = []
                self.tripped = 0

            async def post(self, message: Message, context: DeliveryContext) -> Receipt:
                now = context.now.timestamp()
                if len([t for t in self.seen if now - t < 1.0 - 1e-9]) >= 2:
                    self.tripped += 1
                    raise DeliveryError("x", "HTTP 429", status_code=429, retry_after=1)
                self.seen.append(now)
                return await super().post(message, context)

        adapter = Limited()
        with candor.Communicator(
            [candor.Channel(name="x", adapter=adapter)],
            store=tmp_path / "candor.db",
            clock=clock,
            sleep=Sleeper(clock),
            base_dir=tmp_path,
        ) as comms:
            incident = open_incident(comms)
            for number in range(8):
                comms.update(incident.id, message=f"Update {number}.")
        assert adapter.tripped == 0
        assert len(adapter.posted) == 9
        assert adapter.seen[-1] - adapter.seen[0] == pytest.approx(7.0)  # 2 at once, then 1/s


class TestLogs:
    def test_one_event_per_attempt_with_its_outcome_and_latency(
        self, make: Callable[..., candor.Communicator], caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="candor.delivery")
        script = Script(reply(500), reply(200))
        open_incident(make(script))
        attempts = [r.getMessage() for r in caplog.records if "delivery_attempt" in r.getMessage()]
        assert len(attempts) == 2
        assert "outcome='maybe_sent'" in attempts[0]
        assert "attempt=1" in attempts[0]
        assert "outcome='sent'" in attempts[1]
        assert "attempt=2" in attempts[1]
        for line in attempts:
            assert "channel='ops'" in line
            assert "latency_ms=" in line
            assert "update_id=" in line
