"""Hostile input everywhere: only candor's own errors escape, they stay short, and nothing is lost.

Hypothesis drives every method of the public API (through the sync
``Communicator`` and, apart, the ``AsyncCommunicator``'s own coroutines;
``candor.check``; ``Scope``; the constructor's options; a templates folder of
one's own) and the configuration loader with values of
every type: text holding control characters and lone surrogates, huge and
negative numbers, NaN and infinities, durations and times as text, wrong
types. Each call either works or raises a :class:`candor.CandorError` whose
message is at most :data:`MOST` characters; after each, every incident already
recorded still reads back with its whole timeline.

The run is bounded (the profile below fixes the number of examples and has no
deadline); how many calls it made is printed at the end of the session.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import candor
from candor.config import load_config
from candor.model import parse_duration, parse_when
from candor.testing import Clock, MemoryAdapter
from tests.conftest import START

MOST = 1_000
"""The longest message an error may carry, whatever the input was."""

settings.register_profile(
    "candor-fuzz",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
FUZZ = settings.get_profile("candor-fuzz")

CALLS: Counter[str] = Counter()
"""How many inputs each entry point was given in this session (printed at the end)."""
ESCAPED: Counter[str] = Counter()
"""How many let something other than a short CandorError out."""


@pytest.fixture(scope="module", autouse=True)
def _report_calls(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    total = sum(CALLS.values())
    escaped = sum(ESCAPED.values())
    line = f"fuzz: {total:,} inputs tried, {escaped} escaped unnamed; " + ", ".join(
        f"{name} {count}" for name, count in sorted(CALLS.items())
    )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print("\n" + line)
    else:
        print(line)


# -- hostile values ------------------------------------------------------------------------

_chars = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    st.sampled_from(["\x00", "\x1b", "\x07", "\x9b", "\n", "\t", "\r", "\u202e", "\ufffe", " "]),
)
texts = st.text(_chars, max_size=40)
MEANINGFUL = [
    "",
    " ",
    "30m",
    "1h30m",
    "7d",
    "8d",
    "0m",
    "-5m",
    "99999999999999999999m",
    "99999999999999999999d",
    "1" * 400 + "s",
    "inf",
    "nan",
    "1e400",
    "investigating",
    "identified",
    "monitoring",
    "resolved",
    "none",
    "minor",
    "major",
    "critical",
    "outage",
    "degraded",
    "open",
    "in_progress",
    "done",
    "dropped",
    "page",
    "social",
    "fix-time",
    "hedging",
    "2026-11-22T13:00:00Z",
    "2026-11-22T13:00:00",
    "2026-11-22",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-14:00",
    "2026-11-22T13:00:00+99:00",
    "\ud800",
    "API \x1b[31mdown",
    "a\x00b",
    "${HOME}",
    "inc-0000000000",
    "x" * 300,
    "x" * 100_000,
]
anything: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 2**64, 10**20, -(10**20), 10**400]),
    st.floats(),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 1e-320, 1.0, 1.5]),
    texts,
    st.sampled_from(MEANINGFUL),
    st.binary(max_size=8),
    st.lists(st.one_of(texts, st.integers(), st.none()), max_size=3),
    st.dictionaries(texts, st.one_of(texts, st.integers()), max_size=2),
    st.timedeltas(),
    st.datetimes(timezones=st.one_of(st.none(), st.just(UTC))),
)


def maybe(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a good value (so that calls get deep), sometimes anything at all."""
    return st.one_of(good, good, anything)


good_text = st.sampled_from(["API failing", "Requests to the API fail.", "Fixed."]) | texts
scopes = st.one_of(
    st.fixed_dictionaries(
        {"components": maybe(st.just(["API"]) | st.lists(texts, max_size=3))},
        optional={
            "regions": maybe(st.just(["eu-west"])),
            "affected_fraction": maybe(st.sampled_from([0.012, 1.0, 0.5])),
            "affected_count": maybe(st.sampled_from([1, 40, 10**6])),
            "customers": maybe(st.just("merchants")),
            "effect": maybe(st.sampled_from(["outage", "degraded"])),
            "impact": anything,
        },
    ),
    anything,
)
durations = maybe(st.sampled_from(["30m", "1h", "45m", timedelta(minutes=20)]))
times = maybe(st.sampled_from(["2026-11-22T13:00:00Z", START - timedelta(minutes=5)]))
iterables = maybe(st.sampled_from([(), [], ["fix-time"], ["hedging", "minimizing"]]))


# -- the communicator every call goes to -----------------------------------------------------


class World:
    """One communicator, the incidents it holds, and what each had recorded when last read."""

    def __init__(self, base: Path, *, asynchronous: bool = False) -> None:
        self.clock = Clock(START)
        self.base = base
        channels = [
            candor.Channel(name="page", adapter=MemoryAdapter("page")),
            candor.Channel(name="social", adapter=MemoryAdapter("social")),
        ]
        options: dict[str, Any] = {"store": base / "candor.db", "clock": self.clock}
        self.comms: Any
        if asynchronous:
            self.comms = AsyncDoor(channels, base_dir=base, **options)
        else:
            self.comms = candor.Communicator(channels, base_dir=base, **options)
        self.recorded: dict[str, tuple[str, ...]] = {}
        first = self.comms.open("API failing", {"components": ["API"]}, "Requests fail.")
        second = self.comms.open(
            "Logins slow", {"components": ["Login"], "effect": "degraded"}, "Logins are slow."
        )
        self.clock.advance(minutes=5)
        self.comms.resolve(second.id, message="Fixed.", postmortem_by="2026-12-01")
        self.clock.advance(minutes=5)
        self.comms.publish_postmortem(
            second.id,
            summary="Logins were slow.",
            what_happened="A cache emptied.",
            what_we_are_doing="Warming it first.",
            action_items=["Warm the cache before a deploy"],
        )
        for incident in (first, second):
            self.remember(self.comms.get(incident.id))

    def remember(self, incident: candor.Incident) -> None:
        self.recorded[incident.id] = tuple(update.id for update in incident.updates)

    @property
    def ids(self) -> list[str]:
        return sorted(self.recorded)

    def nothing_lost(self) -> None:
        """Every incident recorded so far reads back with every update it had."""
        for incident_id, updates in self.recorded.items():
            now = self.comms.get(incident_id)
            assert tuple(update.id for update in now.updates)[: len(updates)] == updates
            self.remember(now)


class AsyncDoor:
    """An AsyncCommunicator whose methods are each run to the end on one event loop.

    Not the sync ``Communicator``: the calls go to the async methods themselves.
    """

    def __init__(self, channels: list[candor.Channel], **options: Any) -> None:
        self._runner = asyncio.Runner()

        async def build() -> candor.AsyncCommunicator:
            return candor.AsyncCommunicator(channels, **options)

        self._comms = self._runner.run(build())

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._comms, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            return self._runner.run(result) if inspect.iscoroutine(result) else result

        return call

    def close(self) -> None:
        try:
            self._runner.run(self._comms.aclose())
        finally:
            self._runner.close()


@pytest.fixture(scope="module", params=["Communicator", "AsyncCommunicator"])
def world(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[World]:
    made = World(tmp_path_factory.mktemp("fuzz"), asynchronous=request.param == "AsyncCommunicator")
    yield made
    made.comms.close()
    # The file as a fresh process would open it: every incident is still there.
    with candor.Communicator([], store=made.base / "candor.db", base_dir=made.base) as again:
        assert {incident.id for incident in again.list()} >= set(made.recorded)


def attempt(name: str, call: Callable[[], Any]) -> Any:
    """Run one call: it works, or raises a CandorError with a short message; nothing else."""
    CALLS[name] += 1
    event(name)
    try:
        return call()
    except candor.CandorError as raised:
        error = raised
    except Exception as escaped:
        ESCAPED[name] += 1
        raise AssertionError(
            f"{name} let {type(escaped).__name__} escape: {str(escaped)[:300]}"
        ) from escaped
    message = str(error)
    if not message or len(message) > MOST:
        ESCAPED[name] += 1
    assert message, f"{name}: {type(error).__name__} with an empty message"
    assert len(message) <= MOST, f"{name}: a {len(message):,}-character error"
    event(f"{name}: {type(error).__name__}")
    return error


# -- each input that once escaped, one by one ------------------------------------------------


@pytest.fixture
def comms(tmp_path: Path) -> Iterator[candor.Communicator]:
    with candor.Communicator(
        [candor.Channel(name="page", adapter=MemoryAdapter("page"))],
        store=tmp_path / "candor.db",
        clock=Clock(START),
        base_dir=tmp_path,
    ) as communicator:
        yield communicator


def refused(
    kind: type[candor.CandorError], call: Callable[[], Any], *named: str
) -> candor.CandorError:
    """The error ``call`` raises: of ``kind``, short, and naming each of ``named``."""
    with pytest.raises(kind) as raised:
        call()
    message = str(raised.value)
    assert len(message) <= MOST
    for part in named:
        assert part in message, message
    return raised.value


class TestInputsThatEscapedRaw:
    """Each raised something other than a CandorError (or a huge one) before it was fixed."""

    OPEN: ClassVar[dict[str, Any]] = {
        "title": "API failing",
        "scope": {"components": ["API"]},
        "message": "Requests fail.",
    }

    @pytest.mark.parametrize("field", ["cause", "workaround"])
    def test_a_lone_surrogate_in_a_text_field(self, comms: candor.Communicator, field: str) -> None:
        refused(candor.InputError, lambda: comms.open(**self.OPEN, **{field: "a\ud800"}), field)

    @pytest.mark.parametrize("field", ["components", "customers"])
    def test_a_lone_surrogate_in_the_scope(self, comms: candor.Communicator, field: str) -> None:
        scope: dict[str, Any] = {"components": ["API"]}
        scope[field] = ["\udfff"] if field == "components" else "\ud83d"
        call = {**self.OPEN, "scope": scope}
        refused(candor.InputError, lambda: comms.open(**call), f"scope.{field}")

    def test_a_megabyte_title_gives_a_short_error(self, comms: candor.Communicator) -> None:
        refused(candor.InputError, lambda: comms.open(**{**self.OPEN, "title": "x" * 10**6}))

    @pytest.mark.parametrize("given", ["99999999999999999999m", "99999999999999999999d"])
    def test_a_duration_too_large_for_a_timedelta(
        self, comms: candor.Communicator, given: str
    ) -> None:
        refused(
            candor.InputError,
            lambda: comms.open(**self.OPEN, next_update_in=given),
            "next_update_in",
            "at most 7 days",
        )
        refused(
            candor.InputError,
            lambda: comms.watch(interval=given, ticks=1),
            "interval",
            "at most 7 days",
        )

    def test_a_time_before_the_first_utc_datetime(self, comms: candor.Communicator) -> None:
        refused(
            candor.InputError,
            lambda: comms.open(**self.OPEN, started_at="0001-01-01T00:00:00+14:00"),
            "started_at",
            "out of range",
        )

    def test_watch_ticks_that_are_not_a_number(self, comms: candor.Communicator) -> None:
        refused(candor.InputError, lambda: comms.watch(ticks="2"), "ticks")  # type: ignore[arg-type]

    def test_allow_that_is_not_a_list(self, comms: candor.Communicator) -> None:
        refused(candor.InputError, lambda: comms.open(**self.OPEN, allow=5), "allow")  # type: ignore[arg-type]
        refused(candor.InputError, lambda: comms.open(**self.OPEN, allow=[["x"]]), "allow")  # type: ignore[list-item]

    def test_an_incident_id_with_a_lone_surrogate(self, comms: candor.Communicator) -> None:
        refused(candor.IncidentNotFound, lambda: comms.update("inc-\ud800", message="m"))
        refused(candor.IncidentNotFound, lambda: comms.set_action_item("\ud800", 1, "done"))

    @pytest.mark.parametrize("number", [10**30, "1", True, 0])
    def test_an_action_item_number_that_is_no_number(
        self, comms: candor.Communicator, number: Any
    ) -> None:
        incident = comms.open(**self.OPEN)
        refused(
            candor.InputError, lambda: comms.set_action_item(incident.id, number, "done"), "number"
        )

    def test_delivery_channels_that_are_not_a_list(self, comms: candor.Communicator) -> None:
        refused(
            candor.InputError,
            lambda: comms.deliver_pending(retry_failed=True, channels=5),  # type: ignore[arg-type]
            "channels",
        )

    def test_importing_from_a_channel_that_is_not_a_name(self, comms: candor.Communicator) -> None:
        refused(candor.InputError, lambda: comms.import_incidents(["page"]), "channel")  # type: ignore[arg-type]

    def test_preview_with_an_argument_it_cannot_pass_on(self, comms: candor.Communicator) -> None:
        refused(candor.InputError, lambda: comms.preview(**self.OPEN, changed="x"), "changed")
        refused(candor.InputError, lambda: comms.preview(title="x", message="m"), "scope")
        incident = comms.open(**self.OPEN)
        refused(
            candor.InputError,
            lambda: comms.preview(incident.id, message="m", status="resolved", title="x"),
            "title",
        )

    def test_action_items_that_are_not_a_list(self, comms: candor.Communicator) -> None:
        incident = comms.open(**self.OPEN)
        comms.resolve(incident.id, message="Fixed.")
        refused(
            candor.InputError,
            lambda: comms.publish_postmortem(
                incident.id,
                summary="s",
                what_happened="w",
                what_we_are_doing="d",
                action_items=5,  # type: ignore[arg-type]
            ),
            "write_up.action_items",
        )

    def test_check_with_codes_that_are_not_a_list(self) -> None:
        refused(candor.InputError, lambda: candor.check("All fine.", only=False), "only")  # type: ignore[arg-type]
        refused(candor.InputError, lambda: candor.check("All fine.", channel=5), "channel")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("options", "key"),
        [
            ({"templates_dir": 5}, "templates.path"),
            ({"templates_dir": "tem\x00plates"}, "templates.path"),
            ({"store": "can\x00dor.db"}, "store.url"),
            ({"store": 5}, "store.url"),
            ({"channels": 5}, "channels"),
            ({"channels": [5]}, "channels"),
            ({"organization": "Example"}, "organization"),
            ({"policy": {}}, "policy"),
            ({"base_dir": 5}, "base_dir"),
            ({"delivery": {"max_attempts": 2}}, "delivery"),
            ({"http": "httpx"}, "http"),
            ({"client": "http://proxy"}, "client"),
            ({"clock": "2026-11-22T14:00:00Z"}, "clock"),
            ({"sleep": 0}, "sleep"),
            ({"template_limits": 2.0}, "template_limits"),
        ],
    )
    def test_a_constructor_option_of_the_wrong_kind(
        self, tmp_path: Path, options: dict[str, Any], key: str
    ) -> None:
        refused(
            candor.ConfigError,
            lambda: candor.Communicator(**{"base_dir": tmp_path, **options}),
            f"key {key!r}",
        )

    def test_a_clock_that_returns_no_datetime(self, tmp_path: Path) -> None:
        with candor.Communicator([], store=tmp_path / "candor.db", clock=lambda: 5) as comms:
            refused(candor.InputError, lambda: comms.open(**self.OPEN), "clock")

    @pytest.mark.parametrize("path", [5, "cand\x00or.toml", "\ud800.toml"])
    def test_a_configuration_path_the_file_system_cannot_take(self, path: Any) -> None:
        refused(candor.ConfigError, lambda: load_config(path))
        refused(candor.ConfigError, lambda: candor.Communicator.from_config(path))

    @pytest.mark.parametrize("audience", ["[]", "{}"])
    def test_an_audience_in_candor_toml_that_is_no_word(
        self, tmp_path: Path, audience: str
    ) -> None:
        (tmp_path / "candor.toml").write_text(
            f'[[channels]]\nname = "ops"\nadapter = "console"\naudience = {audience}\n',
            encoding="utf-8",
        )
        refused(candor.ConfigError, lambda: load_config(tmp_path / "candor.toml"), "audience")

    def test_a_static_site_folder_the_file_system_cannot_take(self, tmp_path: Path) -> None:
        (tmp_path / "candor.toml").write_text(
            '[[channels]]\nname = "status"\nadapter = "static_site"\npath = "\\u0000"\n',
            encoding="utf-8",
        )
        refused(
            candor.ConfigError,
            lambda: candor.Communicator.from_config(tmp_path / "candor.toml"),
            "'status'",
            "path",
        )
        site = candor.Channel(name="status", adapter="static_site", settings={"path": "\ud800"})
        refused(
            candor.ConfigError,
            lambda: candor.Communicator([site], store=tmp_path / "c.db", base_dir=tmp_path),
            "'status'",
            "path",
        )

    def test_a_template_file_that_is_not_utf8(self, tmp_path: Path) -> None:
        (tmp_path / "long").mkdir()
        # A lone surrogate as it would be written: not UTF-8.
        (tmp_path / "long" / "investigating.j2").write_bytes(b"\xed\xa0\x80")
        refused(
            candor.TemplateError,
            lambda: candor.Communicator([], store=tmp_path / "c.db", templates_dir=tmp_path),
            "long/investigating.j2",
        )

    @pytest.mark.parametrize("path", ["x" * 5_000, "a\\u0000b"])
    def test_a_templates_path_the_file_system_cannot_take(self, tmp_path: Path, path: str) -> None:
        (tmp_path / "candor.toml").write_text(f'[templates]\npath = "{path}"\n', encoding="utf-8")
        refused(candor.ConfigError, lambda: load_config(tmp_path / "candor.toml"), "templates.path")

    def test_a_templates_path_in_candor_toml_that_is_not_text(self, tmp_path: Path) -> None:
        (tmp_path / "candor.toml").write_text("[templates]\npath = nan\n", encoding="utf-8")
        refused(candor.ConfigError, lambda: load_config(tmp_path / "candor.toml"), "templates.path")

    def test_any_candor_error_stays_short_whatever_it_quotes(self) -> None:
        long = "k" * 10**6
        for error in (
            candor.ConfigError(long, channel=long, key=long),
            candor.AdapterError(long, long),
            candor.TemplateError(long, long),
            candor.DeliveryError(long, long),
            candor.PromiseError(long, long),
            candor.StoreError(long),
            candor.InputError(long, long, long),
        ):
            assert len(str(error)) <= MOST, type(error).__name__
        assert candor.ConfigError(long).reason == long  # the attributes keep it all


# -- the calls -----------------------------------------------------------------------------


def incident_ids(world: World) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(world.ids), st.sampled_from(world.ids), anything)


def the_call(world: World, data: st.DataObject) -> tuple[str, Callable[[], Any]]:
    comms = world.comms
    name = data.draw(
        st.sampled_from(
            [
                "open",
                "update",
                "resolve",
                "reopen",
                "preview",
                "publish_postmortem",
                "set_action_item",
                "close_incident",
                "report",
                "overdue",
                "keep_promises",
                "watch",
                "deliver_pending",
                "import_incidents",
                "get",
                "check",
                "Scope",
                "parse_duration",
                "parse_when",
            ]
        ),
        label="call",
    )
    draw = data.draw
    if name == "open":
        args = {
            "title": draw(maybe(good_text)),
            "scope": draw(scopes),
            "message": draw(maybe(good_text)),
            "status": draw(maybe(st.just("investigating"))),
            "impact": draw(maybe(st.none())),
            "next_update_in": draw(durations),
            "started_at": draw(maybe(st.none()) | times),
            "cause": draw(maybe(st.none())),
            "workaround": draw(maybe(st.none())),
            "allow": draw(iterables),
            "reason": draw(maybe(st.none())),
        }
        return name, lambda: comms.open(**args)
    if name in {"update", "reopen"}:
        target = draw(incident_ids(world))
        args = {
            "message": draw(maybe(good_text)),
            "status": draw(maybe(st.sampled_from(["identified", "monitoring"]))),
            "scope": draw(maybe(st.none()) | scopes),
            "impact": draw(maybe(st.none())),
            "next_update_in": draw(durations),
            "workaround": draw(maybe(st.none())),
            "allow": draw(iterables),
            "reason": draw(maybe(st.none())),
        }
        if name == "update":
            args["cause"] = draw(maybe(st.none()))
            return name, lambda: comms.update(target, **args)
        return name, lambda: comms.reopen(target, **args)
    if name == "resolve":
        target = draw(incident_ids(world))
        args = {
            "message": draw(maybe(good_text)),
            "cause": draw(maybe(st.none())),
            "changed": draw(maybe(st.none())),
            "prevention": draw(maybe(st.none())),
            "postmortem_by": draw(maybe(st.sampled_from([None, "2026-12-01"])) | times),
            "refuse_if_untold": draw(st.booleans()),
            "allow": draw(iterables),
            "reason": draw(maybe(st.none())),
        }
        return name, lambda: comms.resolve(target, **args)
    if name == "preview":
        target = draw(st.none() | incident_ids(world))
        # Its real keyword parameters (a name it does not have is a TypeError, as anywhere).
        names = st.sampled_from(
            ["title", "scope", "message", "status", "impact", "next_update_in", "cause",
             "started_at", "workaround", "changed", "prevention", "postmortem_by", "ended_at",
             "channels"]
        )  # fmt: skip
        arguments = draw(st.dictionaries(names, anything, max_size=4))
        if target is None:
            arguments.setdefault("title", "API failing")
            arguments.setdefault("scope", {"components": ["API"]})
        arguments.setdefault("message", "Requests fail.")
        return name, lambda: comms.preview(target, **arguments)
    if name == "publish_postmortem":
        target = draw(incident_ids(world))
        args = {
            "summary": draw(maybe(good_text)),
            "what_happened": draw(maybe(good_text)),
            "what_we_are_doing": draw(maybe(good_text)),
            "action_items": draw(maybe(st.lists(texts, max_size=3))),
            "allow": draw(iterables),
            "reason": draw(maybe(st.none())),
        }
        return name, lambda: comms.publish_postmortem(target, **args)
    if name == "set_action_item":
        target = draw(incident_ids(world))
        number = draw(maybe(st.integers(min_value=0, max_value=3)))
        status = draw(maybe(st.sampled_from(["done", "in_progress", "dropped", "open"])))
        return name, lambda: comms.set_action_item(target, number, status)
    if name == "close_incident":
        target = draw(incident_ids(world))
        reason = draw(maybe(st.none()))
        return name, lambda: comms.close_incident(target, reason=reason)
    if name == "report":
        target = draw(incident_ids(world))
        now = draw(st.none() | times)
        return name, lambda: comms.report(target, now)
    if name in {"overdue", "keep_promises"}:
        now = draw(st.none() | times)
        method = comms.overdue if name == "overdue" else comms.keep_promises
        return name, lambda: method(now)
    if name == "watch":
        interval = draw(durations)
        duration = draw(durations)
        ticks = draw(maybe(st.sampled_from([None, 1, 2])))

        stop = threading.Event()
        waits = [0]

        async def sleep(seconds: float) -> None:  # moves the clock, never waits
            world.clock.advance(seconds=min(seconds, 3600))
            waits[0] += 1
            if waits[0] >= 20:  # a one-second interval over seven days is 600,000 runs
                stop.set()

        return name, lambda: comms.watch(
            interval=interval, ticks=ticks, duration=duration, sleep=sleep, stop=stop
        )
    if name == "deliver_pending":
        force = draw(st.booleans())
        retry = draw(st.booleans())
        channels = draw(st.none() | maybe(st.sampled_from([["page"], ["social", "page"]])))
        return name, lambda: comms.deliver_pending(
            force=force, retry_failed=retry, channels=channels
        )
    if name == "import_incidents":
        channel = draw(maybe(st.sampled_from(["page", "social"])))
        return name, lambda: comms.import_incidents(channel)
    if name == "get":
        target = draw(incident_ids(world))
        return name, lambda: comms.get(target)
    if name == "check":
        text = draw(maybe(good_text))
        status = draw(st.none() | anything)
        channel = draw(st.none() | anything)
        only = draw(st.none() | iterables)
        return name, lambda: candor.check(text, status=status, channel=channel, only=only)
    if name == "Scope":
        fields = draw(scopes)
        if isinstance(fields, dict):
            fields.pop("impact", None)
            return name, lambda: candor.Scope(**fields)
        return name, lambda: candor.Scope(components=fields)
    if name == "parse_duration":
        value = draw(anything)
        return name, lambda: parse_duration(value)
    value = draw(anything)
    return name, lambda: parse_when(value, "when")


class TestThePublicAPI:
    @settings(FUZZ, max_examples=700)
    @given(data=st.data())
    def test_any_call_works_or_raises_a_short_candor_error_and_loses_nothing(
        self, world: World, data: st.DataObject
    ) -> None:
        name, call = the_call(world, data)
        result = attempt(name, call)
        if isinstance(result, candor.Incident):
            world.remember(result)
        world.clock.advance(minutes=1)
        world.nothing_lost()

    def test_the_seeded_incidents_are_still_there(self, world: World) -> None:
        world.nothing_lost()
        assert len(world.recorded) >= 2


# -- the constructor and a templates folder of one's own -------------------------------------

safe_paths = st.one_of(
    st.sampled_from(["", ".", "candor.db", "sub/x.db", "sqlite:///x.db", "sqlite://", "\x00"]),
    st.sampled_from(["postgres://db/candor", "mysql://x", "sqlite:///\x00", "\ud800.db"]),
    st.text(_chars, min_size=1, max_size=12).filter(
        lambda t: "/" not in t and "\\" not in t and not t.startswith(".")
    ),
)


class TestTheConstructor:
    @FUZZ
    @given(
        store=st.none() | safe_paths | anything,
        templates=st.none() | safe_paths | anything,
        channels=st.none() | anything,
        options=st.dictionaries(
            st.sampled_from(
                [
                    "organization",
                    "policy",
                    "delivery",
                    "http",
                    "client",
                    "clock",
                    "sleep",
                    "template_limits",
                ]
            ),
            anything,
            max_size=2,
        ),
    )
    def test_any_option_is_taken_or_refused_with_a_short_candor_error(
        self,
        tmp_path: Path,
        store: Any,
        templates: Any,
        channels: Any,
        options: dict[str, Any],
    ) -> None:
        if isinstance(store, str) and store.startswith("/"):
            store = None  # never a file outside the test's folder

        def build() -> candor.Communicator:
            return candor.Communicator(
                channels, store=store, templates_dir=templates, base_dir=tmp_path, **options
            )

        made = attempt("Communicator", build)
        if isinstance(made, candor.Communicator):
            made.close()

    @FUZZ
    @given(
        source=st.lists(
            st.sampled_from(
                [
                    "{{ incident.title }}",
                    "{{ update.message }}",
                    "{{ nothing }}",
                    "{{ 1/0 }}",
                    "{{ 'a' + 1 }}",
                    "{{ incident.title.__class__ }}",
                    "{{ (1).__class__.__mro__ }}",
                    "{% for n in range(3) %}{{ n }}{% endfor %}",
                    "{% if %}",
                    "{{",
                    "}}",
                    "{% endfor %}",
                    "{% include 'missing.j2' %}",
                    "{{ '%s' % 1 }}",
                    "{{ incident | percent }}",
                    "{{ 1 | at }}",
                    "\x00",
                    "\ud800",
                ]
            )
            | texts,
            max_size=5,
        ).map("".join),
        form=st.sampled_from(["long", "short", "chat"]),
    )
    def test_any_template_renders_or_raises_a_short_candor_error(
        self, tmp_path_factory: pytest.TempPathFactory, source: str, form: str
    ) -> None:
        folder = tmp_path_factory.mktemp("templates")
        (folder / form).mkdir()
        # A lone surrogate is written as such: the file is then not valid UTF-8.
        (folder / form / "investigating.j2").write_text(
            source, encoding="utf-8", errors="surrogatepass"
        )

        def preview() -> list[candor.Message]:
            with candor.Communicator(
                [candor.Channel(name="page", adapter=MemoryAdapter("page"))],
                store=folder / "candor.db",
                templates_dir=folder,
                base_dir=folder,
            ) as comms:
                return comms.preview(
                    title="API failing", scope={"components": ["API"]}, message="Requests fail."
                )

        attempt("templates", preview)


# -- candor.toml -----------------------------------------------------------------------------


def _quoted(text: str) -> str:
    """A TOML basic string holding ``text`` (control characters and surrogates escaped)."""
    out = []
    for char in text:
        point = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif point < 0x20 or point == 0x7F or 0xD800 <= point <= 0xDFFF:
            out.append(f"\\u{point:04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


toml_values = st.one_of(
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "+nan",
            "1e400",
            "-0",
            "99999999999999999999",
            "9223372036854775807",
            "-9223372036854775808",
            "0x7FFFFFFFFFFFFFFF",
            "true",
            "false",
            "1979-05-27T07:32:00Z",
            "1979-05-27T07:32:00",
            "1979-05-27",
            "07:32:00",
            "[]",
            "{}",
            '["page"]',
            '[1, "a"]',
            '{ minor = "30m" }',
            '{ critical = "99999999999999999999m" }',
            "{ major = 5 }",
            '"\\uD800"',
            '"\\uDFFF"',
            '"\\u0000"',
            '"\\u001B[31m"',
            '"\\x1b"',
            '"${NOT_SET_ANYWHERE}"',
            '"${HOME}"',
            '"30m"',
            '"99999999999999999999m"',
            '"warn"',
            '"post_holding"',
            '"httpx"',
            '"candor"',
            '"UTC"',
            '"Mars/Olympus"',
            '"https://status.example.com"',
            '"javascript:alert(1)"',
            '"http://169.254.169.254/latest/meta-data/"',
            '"https://hooks.example.com:99999/x"',
            '"https://hooks.example.com/a\\r\\nb"',
            '"sqlite:///candor.db"',
            '"postgres://db/candor"',
            '"webhook"',
            '"console"',
            '"static_site"',
            '"no-such-adapter"',
            '"public"',
            '"internal"',
            '""',
            '"' + "x" * 5_000 + '"',
        ]
    ),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    texts.map(_quoted),
)
ODD_BUT_FINE: dict[str, list[str]] = {
    "name": ['"Ünïcode ☃ Inc"', '"ops-2"', '"' + "n" * 200 + '"'],
    "status_page_url": ['"http://127.0.0.1:8080/status"', '"https://xn--bcher-kva.example/"'],
    "timezone": ['"America/Argentina/Buenos_Aires"', '"Etc/GMT+12"'],
    "url": [
        '"http://10.0.0.5:8080/hook?token=abc"',
        '"https://user:pass@hooks.example.com/T0/B0"',
        '"http://[::1]:9/x"',
        '"http://169.254.169.254/latest"',
        '"http://[fe80::1]/x"',
        '"http://[fd00:ec2::254]/x"',
        '"https://hooks.example.com:65535/x"',
    ],
    "cadence": ['{ none = "7d", minor = "1s", major = "1h", critical = "1m" }'],
    "warn_before": ['"1s"', '"7d"'],
    "warn_channels": ["[]", '["ops", "hook"]'],
    "transport": ['"httpx"'],
    "audience": ['"internal"'],
    "headers": ["{}", '{ "X-Ünï" = "v" }'],
    "timeout": ["0.001", "1e9"],
    "rate_limit": ["1e-9", "1e9"],
    "burst": ["1", "9223372036854775807"],
    "history": ["0", "9223372036854775807"],
    "components": ["[]", '["' + "c" * 100 + '"]'],
    "max_output": ["1000", "999"],
    "allow_link_local": ["true"],
    "allow_loopback": ["false"],
    "allow_private": ["false"],
    "max_attempts": ["1", "1000"],
    "max_retry_after": ["1", "2592000", "2592001"],
    "lease": ["0.5", "2592000"],
}
"""Values a key takes that are unusual (so a fuzz run is worth more than the base file)."""


def value_for(key: str) -> st.SearchStrategy[str]:
    """A TOML value for ``key``: unusual but fitting, or anything at all."""
    odd = ODD_BUT_FINE.get(key)
    return st.one_of(st.sampled_from(odd), toml_values) if odd else toml_values


BASE: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "organization",
        [
            ("name", '"Example"'),
            ("status_page_url", '"https://status.example.com"'),
            ("timezone", '"Europe/Paris"'),
        ],
    ),
    ("store", [("url", '"sqlite:///candor.db"')]),
    (
        "policy",
        [
            ("cadence", '{ minor = "30m", critical = "15m" }'),
            ("partial_is_full", "true"),
            ("on_due", '"warn"'),
            ("warn_before", '"5m"'),
            ("warn_channels", '["ops"]'),
        ],
    ),
    ("templates", [("path", '"templates"'), ("timeout", "2.0"), ("max_output", "1000000")]),
    (
        "http",
        [
            ("transport", '"candor"'),
            ("http2", "false"),
            ("allow_link_local", "false"),
            ("allow_loopback", "true"),
            ("allow_private", "true"),
        ],
    ),
    (
        "delivery",
        [
            ("max_attempts", "4"),
            ("backoff", "0.25"),
            ("deadline", "30.0"),
            ("max_retry_after", "3600"),
            ("lease", "120"),
        ],
    ),
    (
        "[channels]",
        [
            ("name", '"hook"'),
            ("adapter", '"webhook"'),
            ("url", '"https://hooks.example.com/T000/B000"'),
            ("secret", '"' + "s" * 20 + '"'),
            ("headers", '{ Authorization = "Bearer x" }'),
            ("timeout", "5.0"),
            ("rate_limit", "2.0"),
            ("burst", "3"),
        ],
    ),
    ("[channels]", [("name", '"ops"'), ("adapter", '"console"'), ("audience", '"internal"')]),
    (
        "[channels]",
        [
            ("name", '"status"'),
            ("adapter", '"static_site"'),
            ("path", '"site"'),
            ("components", '["API"]'),
            ("history", "5"),
        ],
    ),
]
"""A candor.toml that loads, key by key: each example changes some of its values."""
PLACES = [(index, key) for index, (_, pairs) in enumerate(BASE) for key, _ in pairs]


@st.composite
def candor_toml(draw: st.DrawFn) -> str:
    """The base file with arbitrary values for a few keys, an unknown key or a broken line."""
    changed = draw(st.lists(st.sampled_from(PLACES), min_size=1, max_size=2, unique=True))
    values = {place: draw(value_for(place[1])) for place in changed}
    lines: list[str] = []
    for index, (section, pairs) in enumerate(BASE):
        lines.append(f"[{section}]")
        for key, value in pairs:
            lines.append(f"{key} = {values.get((index, key), value)}")
    if draw(st.integers(0, 9)) == 0:  # a key nobody knows
        lines.insert(draw(st.integers(1, len(lines))), f"{_quoted(draw(texts))} = 1")
    if draw(st.integers(0, 19)) == 0:  # a broken line somewhere
        lines.insert(draw(st.integers(0, len(lines))), draw(texts))
    return "\n".join(lines) + "\n"


class TestTheConfigurationLoader:
    @settings(FUZZ, max_examples=500)
    @given(text=candor_toml())
    def test_any_candor_toml_loads_or_raises_a_short_config_error(
        self, tmp_path_factory: pytest.TempPathFactory, text: str
    ) -> None:
        folder = tmp_path_factory.mktemp("config")
        path = folder / "candor.toml"
        (folder / "templates").mkdir()
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        loaded = attempt("load_config", lambda: load_config(path, environ={"HOME": "/home/x"}))
        if isinstance(loaded, candor.CandorError):
            assert isinstance(loaded, candor.ConfigError), f"{type(loaded).__name__}: {loaded}"
            return

        def build() -> candor.Communicator:
            return candor.Communicator.from_config(path, store=folder / "candor.db")

        made = attempt("from_config", build)
        if isinstance(made, candor.Communicator):
            made.close()
