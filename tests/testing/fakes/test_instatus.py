"""FakeInstatus enforces Instatus's incidents API."""

from __future__ import annotations

import httpx
import pytest

from candor.testing import Clock
from candor.testing.fakes import FakeInstatus
from tests.testing.fakes.conftest import client_for

AUTH = {"Authorization": "Bearer instatus-key"}
PATH = "/v1/instatus-page/incidents"
INCIDENT = {
    "name": "API failing",
    "message": "Down.",
    "status": "INVESTIGATING",
    "components": ["cmp-api"],
    "statuses": [{"id": "cmp-api", "status": "MAJOROUTAGE"}],
}


@pytest.fixture
def fake(clock: Clock) -> FakeInstatus:
    return FakeInstatus(clock=clock, rate_limit=None)


@pytest.fixture
def http(fake: FakeInstatus) -> httpx.Client:
    return client_for(fake)


class TestContract:
    def test_creates_an_incident_then_adds_updates(
        self, fake: FakeInstatus, http: httpx.Client
    ) -> None:
        created = http.post(PATH, json=INCIDENT, headers=AUTH).json()
        assert fake.components["cmp-api"]["status"] == "MAJOROUTAGE"
        update = http.post(
            f"{PATH}/{created['id']}/incident-updates",
            json={"message": "Fixed.", "status": "RESOLVED",
                  "statuses": [{"id": "cmp-api", "status": "OPERATIONAL"}]},
            headers=AUTH,
        )  # fmt: skip
        assert update.status_code == 200
        incident = http.get(f"{PATH}/{created['id']}", headers=AUTH).json()
        assert [u["message"] for u in incident["updates"]] == ["Down.", "Fixed."]
        assert incident["status"] == "RESOLVED"
        assert fake.components["cmp-api"]["status"] == "OPERATIONAL"

    def test_the_wrong_key_or_page_is_refused(self, http: httpx.Client) -> None:
        assert (
            http.post(PATH, json=INCIDENT, headers={"Authorization": "Bearer no"}).status_code
            == 401
        )
        assert http.post(PATH.replace("instatus-page", "other"), json=INCIDENT,
                         headers=AUTH).status_code == 404  # fmt: skip

    @pytest.mark.parametrize(
        "change",
        [{"name": ""}, {"message": ""}, {"status": "FIXED"}, {"components": ["nope"]},
         {"statuses": [{"id": "cmp-api", "status": "BROKEN"}]}],
    )  # fmt: skip
    def test_invalid_incidents_are_refused(
        self, http: httpx.Client, change: dict[str, object]
    ) -> None:
        assert http.post(PATH, json=INCIDENT | change, headers=AUTH).status_code == 400

    def test_no_idempotency_the_same_post_twice_is_two(
        self, fake: FakeInstatus, http: httpx.Client
    ) -> None:
        for _ in range(2):
            http.post(PATH, json=INCIDENT, headers=AUTH)
        assert len(fake.incidents) == 2

    def test_a_rate_limit_per_key_with_retry_after(self, clock: Clock) -> None:
        http = client_for(FakeInstatus(clock=clock))
        answers = [http.get(PATH, headers=AUTH) for _ in range(61)]
        assert answers[60].status_code == 429
        assert int(answers[60].headers["retry-after"]) >= 1
