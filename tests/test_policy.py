"""Impact follows from scope, partial is full for those it hits, and cadence is per impact."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor import Impact, PolicyError, Scope, Status
from candor.policy import Policy
from tests.conftest import START


class TestImpactFromScope:
    @given(st.floats(min_value=1e-9, max_value=1.0))
    def test_an_outage_for_any_fraction_is_at_least_major(self, fraction: float) -> None:
        impact = Policy().impact_for(Scope(components=["API"], affected_fraction=fraction))
        assert impact.rank >= Impact.MAJOR.rank

    def test_an_outage_for_most_customers_is_critical(self) -> None:
        assert Policy().impact_for(Scope(components=["API"], affected_fraction=0.5)) == "critical"

    def test_an_outage_of_unknown_size_is_major(self) -> None:
        assert Policy().impact_for(Scope(components=["API"])) is Impact.MAJOR

    def test_degraded_for_few_is_minor_and_for_most_is_major(self) -> None:
        few = Scope(components=["API"], affected_fraction=0.01, effect="degraded")
        most = Scope(components=["API"], affected_fraction=0.8, effect="degraded")
        assert Policy().impact_for(few) is Impact.MINOR
        assert Policy().impact_for(most) is Impact.MAJOR

    def test_without_partial_is_full_a_tiny_outage_may_be_minor(self) -> None:
        scope = Scope(components=["API"], affected_fraction=0.01)
        assert Policy(partial_is_full=False).impact_for(scope) is Impact.MINOR


class TestDeclaredImpact:
    def test_declaring_an_outage_minor_is_refused(self) -> None:
        with pytest.raises(PolicyError, match="at least 'major'") as caught:
            Policy().resolve_impact(Scope(components=["API"], affected_fraction=0.01), "minor")
        assert caught.value.field == "impact"
        assert caught.value.value == "minor"

    def test_declaring_more_than_derived_is_kept(self) -> None:
        scope = Scope(components=["API"], affected_fraction=0.01)
        assert Policy().resolve_impact(scope, "critical") is Impact.CRITICAL

    def test_unknown_impact_is_refused(self) -> None:
        with pytest.raises(PolicyError.__mro__[1], match="unknown impact"):
            Policy().resolve_impact(Scope(components=["API"]), "catastrophic")


class TestCadence:
    @pytest.mark.parametrize(
        ("impact", "minutes"),
        [(Impact.CRITICAL, 30), (Impact.MAJOR, 30), (Impact.MINOR, 60)],
    )
    def test_default_cadence_per_impact(self, impact: Impact, minutes: int) -> None:
        due = Policy().next_update_by(impact, Status.INVESTIGATING, START)
        assert due == START + timedelta(minutes=minutes)

    @pytest.mark.parametrize("status", [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING])
    def test_every_non_final_update_promises_the_next(self, status: Status) -> None:
        assert Policy().next_update_by(Impact.MINOR, status, START) is not None

    def test_a_resolution_promises_no_next_update(self) -> None:
        assert Policy().next_update_by(Impact.MAJOR, Status.RESOLVED, START) is None

    def test_cadence_is_configurable_and_merged_with_defaults(self) -> None:
        policy = Policy.model_validate({"cadence": {"minor": "2h"}})
        assert policy.cadence[Impact.MINOR] == timedelta(hours=2)
        assert policy.cadence[Impact.MAJOR] == timedelta(minutes=30)

    def test_an_explicit_next_update_in_wins(self) -> None:
        due = Policy().next_update_by(Impact.MAJOR, Status.IDENTIFIED, START, "15m")
        assert due == START + timedelta(minutes=15)
