"""FakeCachet enforces Cachet 3's incidents API."""

from __future__ import annotations

import httpx
import pytest

from candor.testing import Clock
from candor.testing.fakes import FakeCachet
from tests.testing.fakes.conftest import client_for

AUTH = {"Authorization": "Bearer cachet-token"}
INCIDENT = {"name": "API failing", "message": "Down.", "status": 1,
            "component_id": 1, "component_status": 4}  # fmt: skip


@pytest.fixture
def fake(clock: Clock) -> FakeCachet:
    return FakeCachet(clock=clock, rate_limit=None)


@pytest.fixture
def http(fake: FakeCachet) -> httpx.Client:
    return client_for(fake)


class TestContract:
    def test_creates_an_incident_then_updates_it(
        self, fake: FakeCachet, http: httpx.Client
    ) -> None:
        created = http.post("/api/incidents", json=INCIDENT, headers=AUTH)
        assert created.status_code == 200
        assert created.json()["data"]["attributes"]["status"]["value"] == 1
        incident_id = created.json()["data"]["id"]
        assert fake.components[1]["status"] == 4
        update = http.post(
            f"/api/incidents/{incident_id}/updates", json={"message": "Fixed.", "status": 4},
            headers=AUTH,
        )  # fmt: skip
        assert update.status_code == 200
        assert fake.incidents[int(incident_id)]["status"] == 4
        listed = http.get(f"/api/incidents/{incident_id}/updates").json()["data"]
        assert [u["attributes"]["message"] for u in listed] == ["Fixed."]

    def test_writes_need_the_token(self, http: httpx.Client) -> None:
        refused = http.post("/api/incidents", json=INCIDENT)
        assert refused.status_code == 401
        assert refused.json()["message"] == "Unauthenticated."

    @pytest.mark.parametrize(
        "change",
        [{"name": ""}, {"name": "n" * 256}, {"message": None}, {"status": 9},
         {"component_id": 99}, {"component_status": 7}, {"component_status": None}],
    )  # fmt: skip
    def test_invalid_incidents_are_refused_with_laravels_errors(
        self, http: httpx.Client, change: dict[str, object]
    ) -> None:
        refused = http.post("/api/incidents", json=INCIDENT | change, headers=AUTH)
        assert refused.status_code == 422
        assert refused.json()["errors"]

    def test_an_update_on_an_unknown_incident_is_404(self, http: httpx.Client) -> None:
        answer = http.post("/api/incidents/7/updates", json={"message": "x", "status": 1},
                           headers=AUTH)  # fmt: skip
        assert answer.status_code == 404

    def test_no_idempotency_the_same_post_twice_is_two(
        self, fake: FakeCachet, http: httpx.Client
    ) -> None:
        for _ in range(2):
            http.post("/api/incidents", json=INCIDENT, headers=AUTH)
        assert len(fake.incidents) == 2

    def test_300_requests_a_minute_per_address(self, clock: Clock) -> None:
        """https://docs.cachethq.io/api-reference/rate-limiting: 300 a minute per IP address."""
        http = client_for(FakeCachet(clock=clock))
        answers = [http.get("/api/incidents", headers=AUTH) for _ in range(301)]
        assert [a.status_code for a in answers[:300]] == [200] * 300
        assert answers[300].status_code == 429
        assert answers[300].headers["x-ratelimit-limit"] == "300"

    def test_a_components_list_on_a_new_incident_sets_nothing(
        self, fake: FakeCachet, http: httpx.Client
    ) -> None:
        """Cachet takes one component_id/component_status; other fields are ignored."""
        body = {"name": "API failing", "message": "Down.", "status": 1,
                "components": [{"id": 1, "status": 4}]}  # fmt: skip
        assert http.post("/api/incidents", json=body, headers=AUTH).status_code == 200
        assert fake.components[1]["status"] == 1

    def test_lists_are_paginated_15_a_page_and_sorted(self, http: httpx.Client) -> None:
        for n in range(20):
            http.post("/api/incidents", json=INCIDENT | {"name": f"n{n}"}, headers=AUTH)
        first = http.get("/api/incidents").json()["data"]
        assert len(first) == 15
        newest = http.get("/api/incidents", params={"sort": "-id", "per_page": "2"}).json()
        assert [i["attributes"]["name"] for i in newest["data"]] == ["n19", "n18"]
