"""The promise ledger: reminders, the warn and holding_update policies, watch, no silent
endings, the write-up, closing the books and the scorecard, all on the test clock."""

from __future__ import annotations

import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

import candor
from candor.checks import check
from candor.errors import PromiseError
from candor.model import ActionStatus, PromiseKind, ReminderState, Status, UpdateKind
from candor.policy import OnDue, Policy
from candor.scorecard import timeline_svg
from candor.testing import Clock, MemoryAdapter
from tests.conftest import START, api_outage, memory_adapter


def communicator(
    tmp_path: Path, clock: Clock, channels: dict[str, MemoryAdapter], **options: object
) -> candor.Communicator:
    audiences = options.pop("internal", ())
    assert isinstance(audiences, tuple)
    return candor.Communicator(
        [
            candor.Channel(
                name=name,
                adapter=adapter,
                audience="internal" if name in audiences else "public",
            )
            for name, adapter in channels.items()
        ],
        store=tmp_path / "candor.db",
        clock=clock,
        base_dir=tmp_path,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def channels() -> dict[str, MemoryAdapter]:
    return {
        "page": memory_adapter("page"),
        "social": memory_adapter("social", form=candor.Form.SHORT, max_length=500),
    }


@pytest.fixture
def holding(
    tmp_path: Path, clock: Clock, channels: dict[str, MemoryAdapter]
) -> Iterator[candor.Communicator]:
    with communicator(
        tmp_path, clock, channels, policy=Policy(on_due=OnDue.HOLDING_UPDATE)
    ) as comms:
        yield comms


def open_incident(comms: candor.Communicator) -> candor.Incident:
    return comms.open("API failing", api_outage(), "Requests to the API return 503 errors.")


class TestReminders:
    def test_a_promise_is_due_soon_within_the_warning_lead(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        incident = open_incident(comms)
        clock.advance(minutes=24)
        assert comms.overdue() == []
        clock.advance(minutes=1)
        (soon,) = comms.overdue()
        assert (soon.incident_id, soon.state, soon.channel) == (
            incident.id,
            ReminderState.DUE_SOON,
            None,
        )
        clock.advance(minutes=6)
        (broken,) = comms.overdue()
        assert broken.state is ReminderState.BROKEN

    def test_the_lead_is_the_policy_s(
        self, tmp_path: Path, clock: Clock, channels: dict[str, MemoryAdapter]
    ) -> None:
        with communicator(tmp_path, clock, channels, policy=Policy(warn_before="15m")) as comms:
            open_incident(comms)
            clock.advance(minutes=15)
            assert [r.state for r in comms.overdue()] == [ReminderState.DUE_SOON]

    def test_a_channel_that_missed_the_update_keeping_a_promise_is_broken_on_that_channel(
        self, comms: candor.Communicator, clock: Clock, short_channel: MemoryAdapter
    ) -> None:
        incident = open_incident(comms)
        clock.advance(minutes=10)
        short_channel.fail_next(status_code=401, reason="HTTP 401: bad token")
        comms.update(incident.id, message="We are replacing the certificate.")
        clock.advance(minutes=15)
        assert comms.overdue() == []  # the first promise's time has not come yet
        clock.advance(minutes=6)
        (owed,) = [r for r in comms.overdue() if r.channel is not None]
        assert (owed.channel, owed.state, owed.update_id) == (
            "social",
            ReminderState.BROKEN,
            f"{incident.id}.1",
        )
        comms.update(incident.id, message="The new certificate is being deployed.")
        assert [r for r in comms.overdue() if r.channel] == []

    def test_a_channel_added_mid_incident_was_never_owed_the_earlier_updates(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        first = {"page": memory_adapter("page")}
        with communicator(tmp_path, clock, first) as comms:
            incident = open_incident(comms)
        clock.advance(minutes=10)
        later = {"page": first["page"], "chat": memory_adapter("chat", form=candor.Form.CHAT)}
        with communicator(tmp_path, clock, later) as comms:
            comms.update(incident.id, message="We are replacing the certificate.")
            clock.advance(minutes=25)
            assert [r.channel for r in comms.overdue()] == [None]  # only the new promise

    def test_a_closed_incident_owes_nothing(self, comms: candor.Communicator, clock: Clock) -> None:
        incident = open_incident(comms)
        comms.resolve(incident.id, message="Requests succeed again.", cause="an expired cert")
        comms.close_incident(incident.id)
        clock.advance(days=2)
        assert comms.overdue() == []


class TestHoldingUpdates:
    def test_a_due_promise_gets_an_honest_holding_update_on_every_channel(
        self, holding: candor.Communicator, clock: Clock, channels: dict[str, MemoryAdapter]
    ) -> None:
        incident = open_incident(holding)
        clock.advance(minutes=26)
        (action,) = holding.keep_promises()
        assert action.action == "holding_update"
        after = holding.get(incident.id)
        update = after.updates[-1]
        assert update.kind is UpdateKind.HOLDING
        assert update.status is Status.INVESTIGATING
        assert update.promised_by == START + timedelta(minutes=30)
        assert update.next_update_by == clock() + timedelta(minutes=30)
        for recorder in channels.values():
            text = recorder.texts[-1]
            assert "promised an update by 14:30 UTC" in text
            assert "Next update by 14:56 UTC" in text
            assert "late" not in text
            assert check(text, incident=after, status=after.status) == []
        assert holding.overdue() == []
        assert holding.keep_promises() == []

    def test_a_late_holding_update_says_it_is_late(
        self, holding: candor.Communicator, clock: Clock, channels: dict[str, MemoryAdapter]
    ) -> None:
        open_incident(holding)
        clock.advance(minutes=45)
        holding.keep_promises()
        assert "this one is 15 minutes late" in channels["page"].texts[-1]

    def test_two_watchers_elect_one_writer_by_the_version_check(
        self, tmp_path: Path, clock: Clock, channels: dict[str, MemoryAdapter]
    ) -> None:
        policy = Policy(on_due=OnDue.HOLDING_UPDATE)
        with (
            communicator(tmp_path, clock, channels, policy=policy) as one,
            communicator(tmp_path, clock, channels, policy=policy) as two,
        ):
            incident = open_incident(one)
            clock.advance(minutes=27)

            results = [one.keep_promises(), two.keep_promises()]
            assert sorted(len(r) for r in results) == [0, 1]
            kinds = [u.kind for u in one.get(incident.id).updates]
            assert kinds.count(UpdateKind.HOLDING) == 1

    def test_a_holding_update_that_loses_the_race_sees_it_done(
        self, holding: candor.Communicator, clock: Clock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        incident = open_incident(holding)
        clock.advance(minutes=27)
        seen = holding.overdue()
        # Another writer updates between this watcher's read of the ledger and its write.
        holding.update(incident.id, message="We are restarting the API servers.")

        async def stale(now: object = None) -> list[candor.Reminder]:
            return seen

        monkeypatch.setattr(holding._async.keeper, "overdue", stale)
        assert holding.keep_promises() == []
        kinds = [u.kind for u in holding.get(incident.id).updates]
        assert UpdateKind.HOLDING not in kinds


class TestWarnings:
    def test_warn_logs_once_and_tells_the_internal_channels(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        ops = memory_adapter("ops", form=candor.Form.CHAT)
        page = memory_adapter("page")
        with communicator(tmp_path, clock, {"page": page, "ops": ops}, internal=("ops",)) as c:
            incident = open_incident(c)
            clock.advance(minutes=26)
            (action,) = c.keep_promises()
            assert action.action == "warned"
            assert action.reminder.state is ReminderState.DUE_SOON
            (warning,) = ops.texts[1:]
            assert f"The next update for {incident.id}" in warning
            assert "4 minutes left" in warning
            assert len(page.texts) == 1  # customers are told nothing by a warning
            assert c.keep_promises() == []  # already warned about this one
            clock.advance(minutes=5)
            (late,) = c.keep_promises()
            assert late.reminder.state is ReminderState.BROKEN
            assert "1 minute late" in ops.texts[-1]

    def test_two_watchers_warn_once_between_them(self, tmp_path: Path, clock: Clock) -> None:
        ops = memory_adapter("ops")
        channels = {"ops": ops}
        with (
            communicator(tmp_path, clock, channels, internal=("ops",)) as one,
            communicator(tmp_path, clock, channels, internal=("ops",)) as two,
        ):
            open_incident(one)
            clock.advance(minutes=40)
            assert len(one.keep_promises()) + len(two.keep_promises()) == 1
            assert len(ops.texts) == 2  # the update, and one warning

    def test_a_write_up_is_warned_about_even_under_holding_update(
        self, holding: candor.Communicator, clock: Clock
    ) -> None:
        incident = open_incident(holding)
        holding.resolve(
            incident.id, message="Requests succeed.", cause="an expired cert",
            postmortem_by="2026-11-25",
        )  # fmt: skip
        clock.advance(days=4)
        (action,) = holding.keep_promises()
        assert (action.action, action.reminder.kind) == ("warned", PromiseKind.POSTMORTEM)


class TestWatch:
    def test_watch_runs_a_bounded_number_of_ticks_on_the_test_clock(
        self, holding: candor.Communicator, clock: Clock
    ) -> None:
        open_incident(holding)
        waits: list[float] = []

        async def sleep(seconds: float) -> None:
            waits.append(seconds)
            clock.advance(seconds=seconds)

        actions = holding.watch(interval="10m", ticks=7, sleep=sleep)
        # Due soon at 14:25: the tick at 14:30 posts; the next is due at 15:00, posted at 15:00.
        assert [a.action for a in actions] == ["holding_update", "holding_update"]
        assert waits == [600.0] * 6

    def test_watch_ends_when_its_duration_is_over(
        self, holding: candor.Communicator, clock: Clock
    ) -> None:
        async def sleep(seconds: float) -> None:
            clock.advance(seconds=seconds)

        assert holding.watch(interval="1m", duration="5m", sleep=sleep) == []
        assert clock() == START + timedelta(minutes=5)

    def test_watch_stops_when_told(self, holding: candor.Communicator) -> None:
        stop = threading.Event()
        stop.set()
        assert holding.watch(interval="1m", stop=stop) == []

    def test_watch_refuses_a_bad_bound(self, holding: candor.Communicator) -> None:
        with pytest.raises(candor.InputError, match="ticks"):
            holding.watch(ticks=0)

    @pytest.mark.parametrize("interval", [timedelta(microseconds=1), timedelta(milliseconds=999)])
    def test_watch_refuses_an_interval_under_a_second(
        self, holding: candor.Communicator, interval: timedelta
    ) -> None:
        # A microsecond over the default 24 hours would be 86 billion runs of the policy.
        with pytest.raises(candor.InputError, match=r"interval.*at least 1 second"):
            holding.watch(interval=interval, sleep=_never)


class TestNoSilentEndings:
    def test_the_resolution_goes_to_failed_channels_and_channels_added_mid_incident(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        page, social = memory_adapter("page"), memory_adapter("social")
        social.fail_next(status_code=401, reason="HTTP 401: bad token")
        with communicator(tmp_path, clock, {"page": page, "social": social}) as comms:
            incident = open_incident(comms)
        chat = memory_adapter("chat", form=candor.Form.CHAT)
        with communicator(tmp_path, clock, {"page": page, "social": social, "chat": chat}) as c:
            resolved = c.resolve(incident.id, message="Requests succeed.", cause="an expired cert")
            report = c.report(incident.id)
        final = [d for d in resolved.deliveries if d.update_id == resolved.updates[-1].id]
        assert {d.channel: d.state.value for d in final} == {
            "page": "sent",
            "social": "sent",
            "chat": "sent",
        }
        assert report.channels_without_resolution == ()

    def test_resolving_an_untold_incident_warns_or_is_refused_on_request(
        self, comms: candor.Communicator, long_channel: MemoryAdapter, short_channel: MemoryAdapter
    ) -> None:
        long_channel.fail_next(status_code=401, reason="HTTP 401: bad token")
        short_channel.fail_next(status_code=401, reason="HTTP 401: bad token")
        incident = open_incident(comms)
        with pytest.raises(PromiseError, match="no channel has received"):
            comms.resolve(incident.id, message="Fixed.", cause="x", refuse_if_untold=True)
        resolved = comms.resolve(incident.id, message="Fixed.", cause="an expired cert")
        assert resolved.status is Status.RESOLVED

    def test_a_channel_left_without_the_resolution_is_on_the_scorecard(
        self, comms: candor.Communicator, short_channel: MemoryAdapter
    ) -> None:
        incident = open_incident(comms)
        short_channel.fail_next(status_code=401, reason="HTTP 401: bad token")
        comms.resolve(incident.id, message="Requests succeed.", cause="an expired cert")
        assert comms.report(incident.id).channels_without_resolution == ("social",)


WRITE_UP = {
    "summary": "For 40 minutes, 1.2% of our customers in eu-west could not use the API.",
    "what_happened": "At 13:40 UTC a TLS certificate expired and requests failed.",
    "what_we_are_doing": "Certificates now renew 30 days before they expire.",
}


class TestWriteUp:
    def resolved(self, comms: candor.Communicator) -> candor.Incident:
        incident = open_incident(comms)
        return comms.resolve(
            incident.id, message="Requests succeed.", cause="an expired TLS certificate",
            postmortem_by="2026-11-25",
        )  # fmt: skip

    def test_publishing_keeps_the_write_up_promise_on_every_channel(
        self, comms: candor.Communicator, clock: Clock, long_channel: MemoryAdapter
    ) -> None:
        incident = self.resolved(comms)
        clock.advance(days=1)
        published = comms.publish_postmortem(
            incident.id, **WRITE_UP, action_items=["Alert 30 days before expiry", "Add a test"]
        )
        update = published.updates[-1]
        assert update.kind is UpdateKind.POSTMORTEM
        text = long_channel.texts[-1]
        for heading in ("Summary", "What happened", "What we are doing about it"):
            assert f"\n{heading}\n" in text
        assert "1. Alert 30 days before expiry." in text
        assert [(a.number, a.status) for a in published.action_items] == [
            (1, ActionStatus.OPEN),
            (2, ActionStatus.OPEN),
        ]
        clock.advance(days=5)
        assert comms.overdue() == []
        assert comms.report(incident.id).promises_broken == 0

    def test_action_items_move_on_later(self, comms: candor.Communicator) -> None:
        incident = self.resolved(comms)
        comms.publish_postmortem(incident.id, **WRITE_UP, action_items=["Alert on expiry"])
        item = comms.set_action_item(incident.id, 1, "done")
        assert item.status is ActionStatus.DONE
        assert comms.get(incident.id).action_items[0].status is ActionStatus.DONE
        with pytest.raises(candor.InputError, match="no such action item"):
            comms.set_action_item(incident.id, 2, "done")
        with pytest.raises(candor.InputError, match="in_progress"):
            comms.set_action_item(incident.id, 1, "finished")

    def test_a_write_up_needs_a_resolved_incident_and_is_published_once(
        self, comms: candor.Communicator
    ) -> None:
        incident = open_incident(comms)
        with pytest.raises(PromiseError, match="resolve the incident"):
            comms.publish_postmortem(incident.id, **WRITE_UP)
        self_resolved = comms.resolve(incident.id, message="Fixed.", cause="an expired cert")
        comms.publish_postmortem(self_resolved.id, **WRITE_UP)
        with pytest.raises(PromiseError, match="already published"):
            comms.publish_postmortem(incident.id, **WRITE_UP)


class TestClosingTheBooks:
    def test_close_is_refused_while_the_write_up_is_owed(
        self, comms: candor.Communicator, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CANDOR_ACTOR", "alice")
        incident = TestWriteUp().resolved(comms)
        with pytest.raises(PromiseError, match="write-up due by 2026-11-25"):
            comms.close_incident(incident.id)
        closed = comms.close_incident(
            incident.id, reason="the write-up moved to the quarterly review"
        )
        assert closed.closure is not None
        assert closed.closure.by == "alice"
        assert closed.closure.reason == "the write-up moved to the quarterly review"
        assert len(closed.closure.overridden) == 1

    def test_close_after_the_write_up_needs_no_reason(self, comms: candor.Communicator) -> None:
        incident = TestWriteUp().resolved(comms)
        comms.publish_postmortem(incident.id, **WRITE_UP)
        closed = comms.close_incident(incident.id)
        assert closed.closure is not None
        assert closed.closure.overridden == ()
        with pytest.raises(PromiseError, match="already closed"):
            comms.close_incident(incident.id)

    def test_an_open_incident_cannot_be_closed(self, comms: candor.Communicator) -> None:
        with pytest.raises(PromiseError, match="resolve"):
            comms.close_incident(open_incident(comms).id)


class TestScorecard:
    def test_the_scorecard_counts_speed_silences_promises_and_overrides(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        clock.advance(minutes=5)
        incident = comms.open(
            "API failing", api_outage(), "Requests to the API return 503 errors.",
            started_at=START.isoformat(),
        )  # fmt: skip
        clock.advance(minutes=20)
        comms.update(incident.id, message="We are replacing the certificate.")
        clock.advance(minutes=50)  # the promise of 14:55 is broken
        comms.update(
            incident.id, message="A fix is coming; a few accounts fail.",
            allow=["minimizing"], reason="eu-west is the only region",
        )  # fmt: skip
        clock.advance(minutes=10)
        comms.resolve(incident.id, message="Requests succeed.", cause="an expired cert")
        card = comms.report(incident.id)
        assert card.time_to_first_update == timedelta(minutes=5)
        assert card.longest_silence == timedelta(minutes=50)
        assert (card.promises_made, card.promises_kept, card.promises_broken) == (3, 2, 1)
        (override,) = card.overrides
        assert (override.seq, override.codes) == (3, ("minimizing",))
        text = card.text()
        assert "longest silence: 50 min" in text
        assert "3 made, 2 kept, 1 broken, 0 open" in text
        assert json.loads(card.model_dump_json())["promises_broken"] == 1
        svg = timeline_svg(card)
        root = ET.fromstring(svg)  # well-formed XML
        ns = "{http://www.w3.org/2000/svg}"
        texts = [t.text or "" for t in root.iter(f"{ns}text")]
        labels = [
            t for t in texts if t.split(" ")[0] in ("Investigating", "Identified", "Resolved")
        ]
        assert len(labels) == 4, "every update is labelled with its status and time"
        assert labels[0] == f"Investigating {card.update_times[0]:%H:%M}"
        assert any(t.endswith("late (past its due time)") for t in texts), "a legend"
        assert sum(1 for t in texts if re.fullmatch(r"\d\d:\d\d", t)) >= 3, "time ticks"
        tips = [t.text or "" for t in root.iter(f"{ns}title")]
        promise_tips = [t for t in tips if "promised at" in t]
        assert len(promise_tips) == 3
        assert sum(1 for t in promise_tips if ": late, kept at" in t) == 1
        assert sum(1 for t in promise_tips if ": kept in time, kept at" in t) == 2
        late = [r for r in root.iter(f"{ns}rect") if r.get("fill") == "url(#late)"]
        assert len(late) == 2, "the late stretch of the broken promise, hatched, and the legend"
        kept_bars = [r for r in root.iter(f"{ns}rect") if r.get("fill") == "#2e7d32"]
        assert len(kept_bars) == 3, "two kept in time, and the legend's sample"


class TestTheStatusPage:
    def test_the_page_says_plainly_when_a_promise_was_missed_and_shows_action_items(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        channels = [candor.Channel(name="status", adapter="static_site", settings={"path": "site"})]
        with candor.Communicator(
            channels, store=tmp_path / "c.db", clock=clock, base_dir=tmp_path
        ) as comms:
            incident = open_incident(comms)
            clock.advance(minutes=42)
            comms.update(incident.id, message="We are replacing the certificate.")
            comms.resolve(incident.id, message="Requests succeed.", cause="an expired cert")
            comms.publish_postmortem(incident.id, **WRITE_UP, action_items=["Alert on expiry"])
            comms.set_action_item(incident.id, 1, "in_progress")
        page = next((tmp_path / "site" / "incidents").glob("*.html")).read_text()
        assert "We promised this update by 14:30 UTC and posted it 12 minutes late." in page
        assert "<strong>Write-up</strong>" in page
        assert "Alert on expiry <strong>In progress</strong>" in page


async def _never(seconds: float) -> None:
    raise AssertionError(f"watch waited {seconds} s after refusing its interval")
