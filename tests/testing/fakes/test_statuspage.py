"""FakeStatuspage enforces Statuspage's incidents API."""

from __future__ import annotations

import httpx
import pytest

from candor.testing import Clock
from candor.testing.fakes import FakeStatuspage
from tests.testing.fakes.conftest import client_for

AUTH = {"Authorization": "OAuth statuspage-key"}
PATH = "/pages/page1/incidents"  # under the base URL, which ends in /v1


@pytest.fixture
def http(clock: Clock) -> httpx.Client:
    return client_for(FakeStatuspage(clock=clock, rate_limit=None))


class TestContract:
    def test_creates_then_updates_an_incident(self, http: httpx.Client) -> None:
        body = {"incident": {"name": "API failing", "status": "investigating", "body": "Down.",
                             "components": {"cmp1": "major_outage"}}}  # fmt: skip
        created = http.post(PATH, json=body, headers=AUTH)
        assert created.status_code == 201
        incident_id = created.json()["id"]
        changed = http.patch(
            f"{PATH}/{incident_id}",
            json={"incident": {"status": "resolved", "body": "Fixed."}},
            headers=AUTH,
        ).json()
        assert changed["status"] == "resolved"
        assert [u["body"] for u in changed["incident_updates"]] == ["Fixed.", "Down."]

    def test_the_wrong_key_or_page_is_refused(self, http: httpx.Client) -> None:
        body = {"incident": {"name": "x"}}
        assert http.post(PATH, json=body, headers={"Authorization": "OAuth no"}).status_code == 401
        assert http.post(PATH.replace("page1", "p2"), json=body, headers=AUTH).status_code == 404

    def test_a_name_of_255_passes_and_256_does_not(self, http: httpx.Client) -> None:
        assert http.post(PATH, json={"incident": {"name": "n" * 255}}, headers=AUTH).is_success
        too_long = http.post(PATH, json={"incident": {"name": "n" * 256}}, headers=AUTH)
        assert too_long.status_code == 422

    @pytest.mark.parametrize(
        "incident",
        [{}, {"name": "x", "status": "on fire"}, {"name": "x", "components": {"c": "broken"}}],
    )
    def test_missing_and_unknown_values_are_refused(
        self, http: httpx.Client, incident: dict[str, object]
    ) -> None:
        assert http.post(PATH, json={"incident": incident}, headers=AUTH).status_code == 422

    def test_there_is_no_idempotency_the_same_post_twice_is_two(self, clock: Clock) -> None:
        fake = FakeStatuspage(clock=clock, rate_limit=None)
        http = client_for(fake)
        for _ in range(2):
            http.post(PATH, json={"incident": {"name": "x"}}, headers=AUTH)
        assert len(fake.incidents) == 2

    def test_one_request_per_second_per_key(self, clock: Clock) -> None:
        http = client_for(FakeStatuspage(clock=clock))
        assert http.post(PATH, json={"incident": {"name": "x"}}, headers=AUTH).is_success
        limited = http.post(PATH, json={"incident": {"name": "y"}}, headers=AUTH)
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "1"


class TestPage:
    def test_unresolved_incidents_are_listed_newest_first_with_metadata(
        self, http: httpx.Client
    ) -> None:
        for name in ("first", "second", "done"):
            body = {"incident": {"name": name, "metadata": {"candor": {"incident_id": name}}}}
            http.post(PATH, json=body, headers=AUTH)
        done = http.get(PATH, headers=AUTH).json()[0]["id"]
        http.patch(f"{PATH}/{done}", json={"incident": {"status": "resolved"}}, headers=AUTH)
        listed = http.get(f"{PATH}/unresolved", headers=AUTH).json()
        assert [i["name"] for i in listed] == ["second", "first"]
        assert listed[0]["metadata"] == {"candor": {"incident_id": "second"}}

    def test_incidents_set_component_statuses_and_unknown_components_are_refused(
        self, clock: Clock
    ) -> None:
        fake = FakeStatuspage(clock=clock, rate_limit=None, components={"c1": "API"})
        http = client_for(fake)
        body = {"incident": {"name": "x", "components": {"c1": "major_outage"}}}
        created = http.post(PATH, json=body, headers=AUTH).json()
        assert created["components"] == [{"id": "c1", "name": "API", "status": "major_outage"}]
        assert fake.component_statuses() == {"c1": "major_outage"}
        unknown = {"incident": {"name": "x", "components": {"c9": "major_outage"}}}
        assert http.post(PATH, json=unknown, headers=AUTH).status_code == 422

    def test_it_can_answer_420_over_the_rate_limit(self, clock: Clock) -> None:
        http = client_for(FakeStatuspage(clock=clock, limit_status=420))
        http.post(PATH, json={"incident": {"name": "x"}}, headers=AUTH)
        limited = http.post(PATH, json={"incident": {"name": "y"}}, headers=AUTH)
        assert (limited.status_code, limited.headers["retry-after"]) == (420, "1")
