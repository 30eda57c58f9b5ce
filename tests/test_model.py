"""The domain refuses bad input loudly and moves status only along legal paths."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor import InputError, Scope, Status, TransitionError
from candor.model import Promise, UpdateKind, check_transition, parse_duration, parse_when


class TestScopeRefusesBadInput:
    @pytest.mark.parametrize(
        "fraction",
        [0, 0.0, -0.1, 1.0000001, 1.5, math.nan, math.inf, -math.inf, True, False, "50%", "0.5"],
    )
    def test_fraction_outside_zero_to_one_or_not_a_number_names_field_and_value(
        self, fraction: object
    ) -> None:
        with pytest.raises(InputError) as caught:
            Scope(components=["API"], affected_fraction=fraction)  # type: ignore[arg-type]
        assert caught.value.field == "scope.affected_fraction"
        assert caught.value.value is fraction or (
            isinstance(fraction, float) and math.isnan(fraction)
        )
        assert "affected_fraction" in str(caught.value)
        assert repr(fraction) in str(caught.value)

    @pytest.mark.parametrize("fraction", [1, 1.0, 0.001, 0.5, 5e-324])
    def test_fraction_in_range_is_kept_exactly(self, fraction: float) -> None:
        assert Scope(components=["API"], affected_fraction=fraction).affected_fraction == fraction

    @pytest.mark.parametrize("count", [-1, True, 2.0, "12"])
    def test_count_must_be_a_non_negative_whole_number(self, count: object) -> None:
        with pytest.raises(InputError) as caught:
            Scope(components=["API"], affected_count=count)  # type: ignore[arg-type]
        assert caught.value.field == "scope.affected_count"

    def test_zero_count_is_allowed(self) -> None:
        assert Scope(components=["API"], affected_count=0).affected_count == 0

    @pytest.mark.parametrize("components", [[], "API", [""], ["API", 3]])
    def test_components_must_be_a_non_empty_list_of_names(self, components: object) -> None:
        with pytest.raises(InputError) as caught:
            Scope(components=components)  # type: ignore[arg-type]
        assert caught.value.field == "scope.components"

    def test_unknown_field_is_refused_not_ignored(self) -> None:
        with pytest.raises(InputError, match=r"scope\.fraction"):
            Scope(components=["API"], fraction=0.5)  # type: ignore[call-arg]

    def test_unknown_effect_is_refused(self) -> None:
        with pytest.raises(InputError, match="outage"):
            Scope(components=["API"], effect="down")  # type: ignore[arg-type]

    def test_input_error_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="affected_fraction"):
            Scope(components=["API"], affected_fraction=2)


class TestTimes:
    def test_naive_datetime_is_refused_not_guessed(self) -> None:
        with pytest.raises(InputError, match="timezone-aware") as caught:
            parse_when(datetime(2026, 1, 1, 10, 0), "started_at")
        assert caught.value.field == "started_at"

    def test_naive_iso_text_is_refused(self) -> None:
        with pytest.raises(InputError, match="timezone-aware"):
            parse_when("2026-01-01T10:00", "started_at")

    def test_aware_datetimes_are_normalised_to_utc(self) -> None:
        paris = timezone(timedelta(hours=1))
        assert parse_when(datetime(2026, 1, 1, 11, 0, tzinfo=paris), "at") == datetime(
            2026, 1, 1, 10, 0, tzinfo=UTC
        )

    def test_a_date_alone_means_the_end_of_that_day_utc(self) -> None:
        assert parse_when("2026-11-25", "postmortem_by") == datetime(
            2026, 11, 25, 23, 59, tzinfo=UTC
        )

    def test_promise_refuses_a_naive_due_time(self) -> None:
        with pytest.raises(InputError, match=r"promise\.due_at"):
            Promise(incident_id="i", update_id="u", kind="next_update", due_at=datetime(2026, 1, 1))

    @pytest.mark.parametrize(
        ("text", "minutes"), [("30m", 30), ("1h", 60), ("1h30m", 90), ("90s", 1.5), ("2d", 2880)]
    )
    def test_durations_read_as_written(self, text: str, minutes: float) -> None:
        assert parse_duration(text) == timedelta(minutes=minutes)

    @pytest.mark.parametrize("text", ["soon", "30", "", "0m", "-5m", "8d", 30, True, None])
    def test_bad_durations_name_the_field(self, text: object) -> None:
        with pytest.raises(InputError) as caught:
            parse_duration(text)
        assert caught.value.field == "next_update_in"


class TestStatus:
    def test_unknown_status_lists_the_known_ones(self) -> None:
        with pytest.raises(InputError, match="investigating, identified, monitoring, resolved"):
            Status.parse("fixed")

    def test_status_text_is_read_case_insensitively(self) -> None:
        assert Status.parse(" Identified ") is Status.IDENTIFIED


OPEN = [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING]


class TestLifecycle:
    @pytest.mark.parametrize("current", OPEN)
    @pytest.mark.parametrize("target", OPEN)
    def test_open_incidents_move_freely_forward_and_back(
        self, current: Status, target: Status
    ) -> None:
        check_transition(current, target, via=UpdateKind.UPDATE)

    @pytest.mark.parametrize("target", [*OPEN, Status.RESOLVED])
    def test_a_resolved_incident_changes_only_through_reopen(self, target: Status) -> None:
        with pytest.raises(TransitionError) as caught:
            check_transition(Status.RESOLVED, target, via=UpdateKind.UPDATE)
        assert caught.value.from_status == "resolved"
        assert caught.value.to_status == target
        assert "resolved" in str(caught.value)
        assert str(target) in str(caught.value)
        assert "reopen" in str(caught.value)

    def test_update_does_not_resolve(self) -> None:
        with pytest.raises(TransitionError, match="resolve"):
            check_transition(Status.MONITORING, Status.RESOLVED, via=UpdateKind.UPDATE)

    @pytest.mark.parametrize("current", OPEN)
    def test_only_a_resolved_incident_reopens(self, current: Status) -> None:
        with pytest.raises(TransitionError, match="only a resolved incident"):
            check_transition(current, Status.INVESTIGATING, via=UpdateKind.REOPEN)

    def test_resolving_twice_is_refused(self) -> None:
        with pytest.raises(TransitionError):
            check_transition(Status.RESOLVED, Status.RESOLVED, via=UpdateKind.RESOLVE)

    @given(st.lists(st.tuples(st.sampled_from(list(UpdateKind)), st.sampled_from(list(Status)))))
    def test_any_sequence_of_calls_keeps_the_lifecycle_invariants(
        self, calls: list[tuple[UpdateKind, Status]]
    ) -> None:
        """Whatever is asked, a resolved incident leaves resolution only by reopen, nothing
        but resolve reaches resolved, and a holding update or a correction never moves the
        status."""
        status = Status.INVESTIGATING
        for kind, target in calls:
            if kind is UpdateKind.OPEN:
                continue
            wanted = Status.RESOLVED if kind is UpdateKind.RESOLVE else target
            try:
                check_transition(status, wanted, via=kind)
            except TransitionError:
                continue
            if status is Status.RESOLVED and wanted is not Status.RESOLVED:
                assert kind is UpdateKind.REOPEN
            if wanted is Status.RESOLVED and status is not Status.RESOLVED:
                assert kind is UpdateKind.RESOLVE
            if status is Status.RESOLVED and wanted is Status.RESOLVED:
                assert kind in (UpdateKind.POSTMORTEM, UpdateKind.CORRECTION)
            if kind in (UpdateKind.HOLDING, UpdateKind.CORRECTION):
                assert wanted is status
            status = wanted
