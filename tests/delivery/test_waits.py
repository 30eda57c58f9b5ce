"""Waits a service announces, read defensively, and outcomes recorded channel by channel.

A badly behaved service may answer ``Retry-After: inf``, ``1e400``, a date in
the year 9999 or nothing sensible at all; none of it may raise, park a row for
centuries, or keep another channel's outcome from being recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import START, api_outage

import candor
from candor.adapters.http import retry_after
from candor.delivery import DeliverySettings
from candor.errors import DeliveryError
from candor.testing import Clock, MemoryAdapter, reset
from candor.vocabulary import Capabilities, Form

SECRET = "whsec-0123456789abcdef"
URL = "https://hooks.example/candor"
TEN_YEARS = 10 * 365 * 86400.0


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    # The CLI configures structlog to print to the stderr of the moment (this test's
    # capture); later tests must not log into that closed stream.
    yield
    reset()


class Sleeper:
    """An injected ``sleep`` that moves the clock instead of waiting."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds=seconds)
        await asyncio.sleep(0)


def reply(status: int, body: Any = None, **headers: str) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def raw_json(status: int, text: str) -> httpx.Response:
    return httpx.Response(status, content=text, headers={"Content-Type": "application/json"})


class TestParsing:
    """``retry_after`` gives a finite, non-negative number of seconds, or None."""

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("120", 120.0),
            ("0", 0.0),
            ("1.5", 1.5),
            (" 7 ", 7.0),
            ("999999999999", TEN_YEARS),
            ("1" + "0" * 400, TEN_YEARS),
            ("inf", TEN_YEARS),
            ("Infinity", TEN_YEARS),
            ("1e400", TEN_YEARS),
            ("nan", None),
            ("-5", None),
            ("-inf", None),
            ("soon", None),
            ("", None),
            ("0x10", None),
            ("Fri, 31 Dec 9999 23:59:59 GMT", TEN_YEARS),
            ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
            ("Mon, 99 Foo 99999 99:99:99 GMT", None),
        ],
    )
    def test_every_header_the_service_may_send(self, header: str, expected: float | None) -> None:
        assert retry_after(reply(429, None, **{"Retry-After": header}), now=START) == expected

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ('{"retry_after": 2.5}', 2.5),
            ('{"retry_after": 1e400}', TEN_YEARS),
            ('{"retry_after": Infinity}', TEN_YEARS),
            ('{"retry_after": NaN}', None),
            ('{"retry_after": -1}', None),
            ('{"retry_after": "3"}', None),
            ('{"retry_after_ms": 1e400}', TEN_YEARS),
            ('{"parameters": {"retry_after": NaN}}', None),
        ],
    )
    def test_every_body_the_service_may_send(self, body: str, expected: float | None) -> None:
        assert retry_after(raw_json(429, body), now=START) == expected

    def test_a_date_in_the_future_is_measured_from_now(self) -> None:
        when = format_datetime(START + timedelta(seconds=90), usegmt=True)
        assert retry_after(reply(503, None, **{"Retry-After": when}), now=START) == 90.0


@pytest.fixture
def sleeper(clock: Clock) -> Sleeper:
    return Sleeper(clock)


@pytest.fixture
def make(tmp_path: Path, clock: Clock, sleeper: Sleeper) -> Iterator[Callable[..., Any]]:
    """A communicator: webhook ``ops`` answered by ``handler``, memory ``page`` and ``chat``."""
    made: list[candor.Communicator] = []

    def build(
        handler: Callable[[httpx.Request], httpx.Response],
        *,
        settings: DeliverySettings | None = None,
        store: Any = None,
    ) -> tuple[candor.Communicator, MemoryAdapter, MemoryAdapter]:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        page = MemoryAdapter("page", capabilities=Capabilities(form=Form.LONG, idempotency=True))
        chat = MemoryAdapter("chat", capabilities=Capabilities(form=Form.LONG))
        channels = [
            candor.Channel(
                name="ops",
                adapter="webhook",
                settings={"url": URL, "secret": SECRET, "receiver_deduplicates": True},
            ),
            candor.Channel(name="page", adapter=page),
            candor.Channel(name="chat", adapter=chat),
        ]
        comms = candor.Communicator(
            channels,
            store=store if store is not None else tmp_path / "candor.db",
            clock=clock,
            sleep=sleeper,
            client=client,
            base_dir=tmp_path,
            delivery=settings,
        )
        made.append(comms)
        return comms, page, chat

    yield build
    for comms in made:
        comms.close()


def states(incident: candor.Incident) -> dict[str, str]:
    return {d.channel: d.state.value for d in incident.deliveries}


def by_channel(incident: candor.Incident, channel: str) -> candor.Delivery:
    (delivery,) = [d for d in incident.deliveries if d.channel == channel]
    return delivery


HOSTILE = [
    "inf",
    "nan",
    "1e400",
    "999999999999",
    "-3",
    "garbage",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
]


class TestHostileWaits:
    @pytest.mark.parametrize("header", HOSTILE)
    def test_no_wait_a_service_announces_raises_or_parks_a_row_for_centuries(
        self, make: Callable[..., Any], sleeper: Sleeper, header: str
    ) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            return reply(429, None, **{"Retry-After": header})

        comms, page, chat = make(handler)
        incident = comms.open("API down", api_outage(), "Requests to the API fail.")

        assert states(incident) == {"ops": "retry", "page": "sent", "chat": "sent"}
        ops = by_channel(incident, "ops")
        assert ops.next_attempt_at is not None
        cap = DeliverySettings().max_retry_after
        assert START < ops.next_attempt_at <= START + timedelta(seconds=cap + 60)
        assert all(wait <= DeliverySettings().max_wait for wait in sleeper.waits)
        assert len(page.posted) == len(chat.posted) == 1

    def test_a_wait_past_the_cap_is_capped_and_says_so(
        self, make: Callable[..., Any], sleeper: Sleeper
    ) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            return reply(429, None, **{"Retry-After": "86400"})

        comms, _, _ = make(handler, settings=DeliverySettings(max_retry_after=600))
        incident = comms.open("API down", api_outage(), "Requests to the API fail.")

        ops = by_channel(incident, "ops")
        assert ops.state == "retry"
        assert ops.next_attempt_at == START + timedelta(seconds=600)
        assert ops.last_error is not None
        assert "asked to wait 86400 s" in ops.last_error
        assert "max_retry_after" in ops.last_error

    @pytest.mark.parametrize("wait", [float("inf"), float("nan"), -1.0, 1e300])
    def test_an_adapter_s_own_error_with_a_wild_wait_is_settled_too(
        self, make: Callable[..., Any], wait: float
    ) -> None:
        comms, _page, chat = make(lambda request: reply(200, {"id": "1"}))
        slow = DeliveryError("chat", "slow down", status_code=429, retry_after=wait)
        chat.fail_next(times=10, error=slow)
        incident = comms.open("API down", api_outage(), "Requests to the API fail.")

        assert states(incident) == {"ops": "sent", "page": "sent", "chat": "retry"}
        due = by_channel(incident, "chat").next_attempt_at
        assert due is not None
        assert due <= START + timedelta(seconds=DeliverySettings().max_retry_after + 60)

    def test_the_cap_is_a_setting_with_bounds(self) -> None:
        assert DeliverySettings().max_retry_after == 3600
        with pytest.raises(ValueError, match="max_retry_after"):
            DeliverySettings(max_retry_after=0)
        with pytest.raises(ValueError, match="max_retry_after"):
            DeliverySettings(max_retry_after=float("inf"))


class FlakyStore:
    """A SQLite store whose ``record_many`` fails for the rows of one channel."""

    def __init__(self, inner: Any, channel: str) -> None:
        self._inner = inner
        self.channel = channel
        self.failing = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def record_many(self, transitions: Any) -> None:
        ids = {
            row.id
            for row in self._inner.pending()
            if row.channel == self.channel and row.id is not None
        }
        if self.failing and any(t.item_id in ids for t in transitions):
            raise RuntimeError("disk on fire")
        self._inner.record_many(transitions)


class TestSettlementPerChannel:
    def test_an_adapter_bug_in_one_channel_leaves_the_others_recorded(
        self, make: Callable[..., Any]
    ) -> None:
        comms, _page, chat = make(lambda request: reply(200, {"id": "1"}))
        chat.fail_next(error=ZeroDivisionError("division by zero"))
        incident = comms.open("API down", api_outage(), "Requests to the API fail.")

        assert states(incident) == {"ops": "sent", "page": "sent", "chat": "retry"}
        assert "ZeroDivisionError" in (by_channel(incident, "chat").last_error or "")

    def test_a_settlement_that_raises_leaves_every_other_outcome_recorded(
        self, make: Callable[..., Any], tmp_path: Path, clock: Clock
    ) -> None:
        from candor.store.sqlite import SQLiteStore

        store = FlakyStore(SQLiteStore(tmp_path / "candor.db"), "chat")
        sent: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return reply(200, {"id": "1"})

        comms, page, _chat = make(handler, store=store)
        incident = comms.open("API down", api_outage(), "Requests to the API fail.")
        assert states(incident) == {"ops": "sent", "page": "sent", "chat": "in_flight"}

        store.failing = False
        clock.advance(seconds=DeliverySettings().lease + 1)
        outcomes = comms.deliver_pending()
        assert [(o.channel, o.state.value) for o in outcomes] == [("chat", "sent")]
        assert len(sent) == 1
        assert len(page.posted) == 1
        incident = comms.get(incident.id)
        assert states(incident) == {"ops": "sent", "page": "sent", "chat": "sent"}


class TestConfiguration:
    def test_delivery_section_sets_the_cap(self, tmp_path: Path) -> None:
        from candor.config import load_config

        path = tmp_path / "candor.toml"
        path.write_text("[delivery]\nmax_retry_after = 120\nmax_wait = 5\n", encoding="utf-8")
        config = load_config(path)
        assert config.delivery.max_retry_after == 120
        assert config.delivery.max_wait == 5
        assert config.dump()["delivery"]["max_retry_after"] == 120

    @pytest.mark.parametrize(
        ("text", "key"),
        [
            ("max_retry_after = 0", "delivery.max_retry_after"),
            ("max_retry_after = inf", "delivery.max_retry_after"),
            ("max_retry_after = 99999999", "delivery.max_retry_after"),
            ("max_retry_after = 'soon'", "delivery.max_retry_after"),
            ("retry_after_cap = 5", "delivery.retry_after_cap"),
        ],
    )
    def test_a_bad_value_is_a_config_error_naming_the_key(
        self, tmp_path: Path, text: str, key: str
    ) -> None:
        from candor.config import load_config
        from candor.errors import ConfigError

        path = tmp_path / "candor.toml"
        path.write_text(f"[delivery]\n{text}\n", encoding="utf-8")
        with pytest.raises(ConfigError) as raised:
            load_config(path)
        assert raised.value.key == key
        assert str(path) in str(raised.value)


class TestCommandLine:
    """``candor`` prints a clear line and exits 4, never a traceback, for either failure."""

    def _config(self, tmp_path: Path, url: str) -> None:
        (tmp_path / "candor.toml").write_text(
            '[[channels]]\nname = "ops"\nadapter = "webhook"\n'
            f'url = "{url}"\nsecret = "0123456789abcdef0123"\n'
            '[[channels]]\nname = "status"\nadapter = "static_site"\npath = "site"\n',
            encoding="utf-8",
        )

    def test_a_wait_of_1e400_leaves_the_other_channel_sent(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        import json

        from tests.receiver import Received, Receiver, serving

        from candor.cli import main

        def answer(request: Received) -> tuple[int, dict[str, str], bytes]:
            return 429, {"Retry-After": "1e400"}, b""

        monkeypatch.chdir(tmp_path)
        with serving(Receiver(answer=answer)) as (receiver,):
            self._config(tmp_path, receiver.url)
            with pytest.raises(SystemExit) as exited:
                main(["--json", "open", "API down", "-c", "API", "-m", "Down."])
        assert exited.value.code == 4
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        assert "not yet delivered to: ops" in captured.err
        incident = json.loads(captured.out)
        states = {d["channel"]: d["state"] for d in incident["deliveries"]}
        assert states == {"ops": "retry", "status": "sent"}

    def test_a_settlement_that_raises_is_one_clear_line(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from tests.receiver import Receiver, serving

        from candor.cli import main
        from candor.store.sqlite import SQLiteStore

        original = SQLiteStore.record_many

        def record_many(self: SQLiteStore, transitions: Any) -> None:
            ops = {r.id for r in self.pending() if r.channel == "ops"}
            if any(t.item_id in ops for t in transitions):
                raise RuntimeError("disk on fire")
            original(self, transitions)

        monkeypatch.chdir(tmp_path)
        with serving(Receiver()) as (receiver,):
            self._config(tmp_path, receiver.url)
            monkeypatch.setattr(SQLiteStore, "record_many", record_many)
            with pytest.raises(SystemExit) as exited:
                main(["open", "API down", "-c", "API", "-m", "Down."])
            assert exited.value.code == 4
            captured = capsys.readouterr()
            assert "Traceback" not in captured.out + captured.err
            assert "disk on fire" in captured.err + captured.out
            assert "not yet delivered to: ops" in captured.err
            assert (tmp_path / "site" / "index.html").is_file()
            monkeypatch.setattr(SQLiteStore, "record_many", original)
            store = SQLiteStore(tmp_path / "candor.db")
            (incident,) = store.list()
            states = {d.channel: d.state.value for d in incident.deliveries}
            store.close()
            assert states == {"ops": "in_flight", "status": "sent"}
            assert len(receiver.requests) == 1
