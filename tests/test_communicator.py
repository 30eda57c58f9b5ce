"""The facade: one truth on every channel, nothing lost, no promise forgotten."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import candor
from candor import (
    ConflictError,
    IncidentNotFound,
    InputError,
    PolicyError,
    Status,
    TransitionError,
    lifecycle,
)
from candor.testing import Clock, MemoryAdapter
from tests.conftest import START, api_outage


def open_incident(comms: candor.Communicator) -> candor.Incident:
    return comms.open(
        "API failing in eu-west", api_outage(), "Requests to the API in eu-west return 503 errors."
    )


class TestOpen:
    def test_open_records_delivers_everywhere_and_promises_the_next_update(
        self, comms: candor.Communicator, long_channel: MemoryAdapter, short_channel: MemoryAdapter
    ) -> None:
        incident = open_incident(comms)
        assert incident.status is Status.INVESTIGATING
        assert incident.impact is candor.Impact.MAJOR
        assert incident.next_update_by == START + timedelta(minutes=30)
        assert [d.state for d in incident.deliveries] == ["sent", "sent"]
        assert len(long_channel.posted) == len(short_channel.posted) == 1
        assert "1.2% of our customers" in long_channel.texts[0]
        assert "1.2% of our customers" in short_channel.texts[0]
        assert comms.get(incident.id) == incident

    def test_every_channel_gets_the_same_facts(
        self, comms: candor.Communicator, long_channel: MemoryAdapter, short_channel: MemoryAdapter
    ) -> None:
        incident = open_incident(comms)
        long, short = long_channel.posted[0], short_channel.posted[0]
        assert long.status == short.status
        assert long.next_update_by == short.next_update_by == incident.next_update_by
        assert long.context.update == short.context.update
        assert long.idempotency_key != short.idempotency_key

    def test_a_scope_may_be_a_mapping(self, comms: candor.Communicator) -> None:
        incident = comms.open("API down", {"components": ["API"]}, "It fails.")
        assert incident.scope.components == ("API",)

    @pytest.mark.parametrize(
        ("arguments", "field"),
        [
            ({"title": ""}, "title"),
            ({"message": "  "}, "message"),
            ({"scope": "API"}, "scope"),
            ({"status": "resolved"}, "status"),
            ({"status": "on fire"}, "status"),
            ({"next_update_in": "soon"}, "next_update_in"),
            ({"started_at": datetime(2026, 11, 22, 13, 0)}, "started_at"),
            ({"started_at": START + timedelta(hours=1)}, "started_at"),
            ({"impact": "minor"}, "impact"),
        ],
    )
    def test_bad_input_names_the_field_and_records_nothing(
        self, comms: candor.Communicator, arguments: dict[str, object], field: str
    ) -> None:
        call: dict[str, object] = {
            "title": "API failing",
            "scope": api_outage(),
            "message": "Requests fail.",
        }
        call.update(arguments)
        with pytest.raises(InputError) as caught:
            comms.open(**call)  # type: ignore[arg-type]
        assert caught.value.field == field
        assert comms.list() == []

    def test_understating_impact_is_a_policy_error(self, comms: candor.Communicator) -> None:
        with pytest.raises(PolicyError, match="understates"):
            comms.open("API failing", api_outage(), "Fails.", impact="minor")


class TestLifecycleThroughTheFacade:
    def test_open_identify_monitor_resolve_keeps_the_whole_timeline(
        self, comms: candor.Communicator, clock: Clock, long_channel: MemoryAdapter
    ) -> None:
        incident = open_incident(comms)
        clock.advance(minutes=20)
        comms.update(incident.id, status="identified", message="Found it.", cause="a bad deploy")
        clock.advance(minutes=20)
        comms.update(incident.id, status="monitoring", message="Rolled back.")
        clock.advance(minutes=20)
        done = comms.resolve(
            incident.id, message="All good for 20 minutes.", postmortem_by="2026-11-25"
        )
        assert [u.status for u in done.updates] == list(Status)
        assert done.resolved_at == START + timedelta(minutes=60)
        assert done.next_update_by is None
        assert done.cause == "a bad deploy"
        assert len(long_channel.posted) == 4
        assert all(d.state == "sent" for d in done.deliveries)

    def test_a_back_step_is_allowed_and_recorded(
        self, comms: candor.Communicator, long_channel: MemoryAdapter
    ) -> None:
        incident = open_incident(comms)
        comms.update(incident.id, status="monitoring", message="Fix applied.")
        back = comms.update(incident.id, status="identified", message="The fix did not hold.")
        assert back.updates[-1].is_back_step
        assert back.updates[-1].previous_status is Status.MONITORING
        assert "did not hold" in long_channel.texts[-1]

    def test_a_resolved_incident_changes_only_through_reopen(
        self, comms: candor.Communicator
    ) -> None:
        incident = open_incident(comms)
        comms.resolve(incident.id, message="Fixed.", cause="a bad deploy")
        with pytest.raises(TransitionError) as caught:
            comms.update(incident.id, status="identified", message="More.")
        assert "resolved" in str(caught.value)
        assert "identified" in str(caught.value)
        with pytest.raises(TransitionError):
            comms.resolve(incident.id, message="Again.")
        reopened = comms.reopen(incident.id, message="It is back.")
        assert reopened.status is Status.INVESTIGATING
        assert reopened.resolved_at is None
        assert reopened.next_update_by is not None

    def test_update_without_status_keeps_the_status_and_impact(
        self, comms: candor.Communicator
    ) -> None:
        incident = comms.open("API failing", api_outage(), "Fails.", impact="critical")
        later = comms.update(incident.id, message="Still failing.")
        assert later.status is Status.INVESTIGATING
        assert later.impact is candor.Impact.CRITICAL

    def test_a_new_scope_re_derives_impact(self, comms: candor.Communicator) -> None:
        incident = open_incident(comms)
        wider = comms.update(incident.id, message="Worse.", scope=api_outage(affected_fraction=0.9))
        assert wider.impact is candor.Impact.CRITICAL

    def test_unknown_incident_id_is_named(self, comms: candor.Communicator) -> None:
        with pytest.raises(IncidentNotFound) as caught:
            comms.update("inc-nope", message="x")
        assert caught.value.incident_id == "inc-nope"
        assert "inc-nope" in str(caught.value)

    def test_a_write_up_date_in_the_past_is_refused(self, comms: candor.Communicator) -> None:
        incident = open_incident(comms)
        with pytest.raises(InputError, match="postmortem_by"):
            comms.resolve(incident.id, message="Done.", postmortem_by="2020-01-01")
        assert comms.get(incident.id).status is Status.INVESTIGATING


class TestConflicts:
    def test_a_writer_working_from_a_stale_version_gets_a_conflict(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        first = candor.Communicator([], store=tmp_path / "c.db", clock=clock, base_dir=tmp_path)
        second = candor.Communicator([], store=tmp_path / "c.db", clock=clock, base_dir=tmp_path)
        try:
            incident = open_incident(first)
            stale = second.get(incident.id)
            first.update(incident.id, status="identified", message="Found it.")
            planned = lifecycle.change(
                stale, second._async.policy, clock(), kind=candor.UpdateKind.UPDATE, message="Mine."
            )
            with pytest.raises(ConflictError) as caught:
                second._run(second._async._commit(planned, expected_version=stale.version))
            assert caught.value.expected_version == 1
            assert caught.value.actual_version == 2
            assert [u.message for u in first.get(incident.id).updates] == [
                "Requests to the API in eu-west return 503 errors.",
                "Found it.",
            ]
        finally:
            first.close()
            second.close()


class TestDeliveryFailures:
    def test_a_failed_channel_is_recorded_and_the_others_still_get_it(
        self, comms: candor.Communicator, long_channel: MemoryAdapter, short_channel: MemoryAdapter
    ) -> None:
        short_channel.fail_next(status_code=502)
        incident = open_incident(comms)
        states = {d.channel: d for d in incident.deliveries}
        assert states["page"].state == "sent"
        assert states["social"].state == "retry"
        assert states["social"].next_attempt_at is not None
        assert "502" in (states["social"].last_error or "")
        assert len(long_channel.posted) == 1

    def test_deliver_pending_finishes_the_job_in_order(
        self, comms: candor.Communicator, short_channel: MemoryAdapter, clock: Clock
    ) -> None:
        for _ in range(2):
            short_channel.fail_next(status_code=502)
        incident = open_incident(comms)
        comms.update(incident.id, status="identified", message="Found it.")
        assert short_channel.posted == []  # update 1 waits to retry, so update 2 waits behind it
        (waiting,) = comms.deliver_pending()  # not yet due
        assert (waiting.item.seq, waiting.state) == (1, "retry")
        clock.advance(hours=1)
        (failed_again,) = comms.deliver_pending()
        assert (failed_again.item.seq, failed_again.state, failed_again.attempts) == (1, "retry", 2)
        clock.advance(hours=1)
        outcomes = comms.deliver_pending()
        assert [o.sent for o in outcomes] == [True, True]
        assert [m.seq for m in short_channel.posted] == [1, 2]
        assert all(d.state == "sent" for d in comms.get(incident.id).deliveries)
        assert comms.deliver_pending() == []

    def test_a_permanent_refusal_fails_for_good(
        self, comms: candor.Communicator, short_channel: MemoryAdapter
    ) -> None:
        short_channel.fail_next(status_code=401, reason="401 bad token")
        incident = open_incident(comms)
        social = next(d for d in incident.deliveries if d.channel == "social")
        assert social.state == "failed"
        assert comms.deliver_pending() == []

    def test_a_crashing_adapter_is_recorded_not_raised(
        self, comms: candor.Communicator, short_channel: MemoryAdapter
    ) -> None:
        short_channel.fail_next(error=RuntimeError("boom"))
        incident = open_incident(comms)
        social = next(d for d in incident.deliveries if d.channel == "social")
        assert social.state == "retry"
        assert "RuntimeError: boom" in (social.last_error or "")

    def test_the_next_update_retries_what_is_still_owed_first(
        self, comms: candor.Communicator, short_channel: MemoryAdapter, clock: Clock
    ) -> None:
        short_channel.fail_next(status_code=502)
        incident = open_incident(comms)
        clock.advance(hours=1)
        comms.update(incident.id, status="identified", message="Found it.")
        assert [m.seq for m in short_channel.posted] == [1, 2]

    def test_follow_ups_see_the_receipts_of_earlier_posts(
        self, comms: candor.Communicator, long_channel: MemoryAdapter
    ) -> None:
        incident = open_incident(comms)
        comms.update(incident.id, message="More.")
        context = long_channel.posted[-1].context
        assert [r.remote_id for r in context.previous] == ["page/1"]


class TestPreviewAndOverdue:
    def test_preview_renders_for_every_channel_and_stores_nothing(
        self, comms: candor.Communicator, long_channel: MemoryAdapter
    ) -> None:
        messages = comms.preview(title="API failing", scope=api_outage(), message="It fails.")
        assert [m.channel for m in messages] == ["page", "social"]
        assert comms.list() == []
        assert long_channel.posted == []

    def test_preview_of_an_update_and_a_resolution(self, comms: candor.Communicator) -> None:
        incident = open_incident(comms)
        update = comms.preview(incident.id, message="Found it.", status="identified")
        resolution = comms.preview(incident.id, message="Fixed.", status="resolved", cause="x")
        assert update[0].status is Status.IDENTIFIED
        assert resolution[0].status is Status.RESOLVED
        assert len(comms.get(incident.id).updates) == 1

    def test_a_missed_next_update_is_overdue_until_an_update_keeps_it(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        incident = open_incident(comms)
        assert comms.overdue() == []
        clock.advance(minutes=31)
        (broken,) = comms.overdue()
        assert broken.incident_id == incident.id
        assert broken.kind == "next_update"
        comms.update(incident.id, message="Still on it.")
        assert comms.overdue() == []

    def test_overdue_takes_an_aware_time_and_refuses_a_naive_one(
        self, comms: candor.Communicator
    ) -> None:
        open_incident(comms)
        assert len(comms.overdue(START + timedelta(hours=2))) == 1
        with pytest.raises(InputError, match="now"):
            comms.overdue(datetime(2026, 11, 22, 18, 0))

    def test_a_write_up_promise_is_tracked(self, comms: candor.Communicator, clock: Clock) -> None:
        incident = open_incident(comms)
        comms.resolve(incident.id, message="Fixed.", cause="x", postmortem_by="2026-11-25")
        (promise,) = comms.overdue(datetime(2026, 11, 26, tzinfo=UTC))
        assert promise.kind == "postmortem"


class TestConstruction:
    def test_default_channels_are_the_static_site_and_console(
        self, tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
    ) -> None:
        with candor.Communicator(clock=clock, base_dir=tmp_path) as comms:
            assert list(comms.channels) == ["status", "console"]
            incident = open_incident(comms)
        assert (tmp_path / "candor.db").is_file()
        assert (tmp_path / "site" / "index.html").is_file()
        assert incident.id in capsys.readouterr().out

    def test_a_channel_with_an_unknown_adapter_is_a_config_error(self, tmp_path: Path) -> None:
        with pytest.raises(candor.ConfigError) as caught:
            candor.Communicator(
                [candor.Channel(name="x", adapter="carrier_pigeon")], base_dir=tmp_path
            )
        assert caught.value.channel == "x"
        assert caught.value.key == "adapter"
        assert "carrier_pigeon" in str(caught.value)

    def test_two_channels_may_not_share_a_name(self, tmp_path: Path) -> None:
        with pytest.raises(candor.ConfigError, match="two channels"):
            candor.Communicator(
                [
                    candor.Channel(name="x", adapter="console"),
                    candor.Channel(name="x", adapter="console"),
                ],
                base_dir=tmp_path,
            )

    def test_a_naive_clock_is_refused(self, tmp_path: Path) -> None:
        with (
            candor.Communicator(
                [], store=tmp_path / "c.db", clock=lambda: datetime(2026, 1, 1), base_dir=tmp_path
            ) as comms,
            pytest.raises(InputError, match="clock"),
        ):
            open_incident(comms)

    def test_the_sync_communicator_refuses_to_run_inside_an_event_loop(
        self, tmp_path: Path
    ) -> None:
        async def inside() -> None:
            with pytest.raises(candor.CandorError, match="AsyncCommunicator"):
                candor.Communicator([], store=tmp_path / "c.db", base_dir=tmp_path)

        asyncio.run(inside())


class TestAsyncCommunicator:
    def test_the_async_facade_has_the_same_behaviour(
        self, tmp_path: Path, clock: Clock, long_channel: MemoryAdapter
    ) -> None:
        async def runbook() -> candor.Incident:
            async with candor.AsyncCommunicator(
                [candor.Channel(name="page", adapter=long_channel)],
                store=tmp_path / "c.db",
                clock=clock,
                base_dir=tmp_path,
            ) as comms:
                incident = await comms.open("API failing", api_outage(), "Fails.")
                await comms.update(incident.id, status="identified", message="Found.")
                await comms.resolve(incident.id, message="Fixed.", cause="a bad deploy")
                assert await comms.overdue() == []
                assert len(await comms.list(open_only=True)) == 0
                return await comms.get(incident.id)

        incident = asyncio.run(runbook())
        assert incident.status is Status.RESOLVED
        assert len(long_channel.posted) == 3
        assert long_channel.closed
