"""A correction on each kind of channel: edited in place where the service can, else a reply.

Mastodon edits the status (``PUT /api/v1/statuses/:id``), Statuspage edits the
incident update ("Update a previous incident update"), the static site shows the
corrected text marked corrected; X cannot edit, so it gets a "Correction:" reply.
Each runs through the project's fakes of the services.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.social import communicator, open_incident

import candor
from candor.testing import Clock
from candor.testing.fakes import FakeMastodon, FakeStatuspage, FakeX

MASTODON_TOKEN = "mastodon-secret-token-1"
X_KEYS = ("x-api-key-1", "x-api-secret-1", "x-access-token-1", "x-access-secret-1")
X_NAMES = ("api_key", "api_secret", "access_token", "access_token_secret")

WRONG = "A bad deploy in us-east broke routing; we are rolling it back."
RIGHT = "A bad deploy in eu-west broke routing; we are rolling it back."
WHY = "we named the wrong region"


def mastodon() -> candor.Channel:
    return candor.Channel(
        name="mastodon",
        adapter="mastodon",
        settings={"base_url": FakeMastodon.base_url, "access_token": MASTODON_TOKEN},
    )


def x() -> candor.Channel:
    return candor.Channel(name="x", adapter="x", settings=dict(zip(X_NAMES, X_KEYS, strict=True)))


def statuspage() -> candor.Channel:
    return candor.Channel(
        name="statuspage",
        adapter="statuspage",
        settings={"page_id": "page1", "api_key": "statuspage-key", "components": {"API": "c1"}},
    )


def site() -> candor.Channel:
    return candor.Channel(name="status", adapter="static_site", settings={"path": "site"})


def corrected_story(comms: candor.Communicator, clock: Clock) -> candor.Incident:
    """Open, a wrong update, its correction, one more update: the incident as recorded."""
    incident = open_incident(comms)
    clock.advance(minutes=10)
    comms.update(incident.id, status="identified", message=WRONG)
    clock.advance(minutes=5)
    comms.correct(incident.id, update=2, message=RIGHT, reason=WHY)
    clock.advance(minutes=10)
    comms.update(incident.id, status="monitoring", message="Error rates are back to normal.")
    return comms.get(incident.id)


def sent_everywhere(incident: candor.Incident) -> None:
    assert {d.state.value for d in incident.deliveries} == {"sent"}


class TestEditedInPlace:
    def test_mastodon_edits_the_status_and_the_thread_goes_on_from_the_newest(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        fake = FakeMastodon(access_token=MASTODON_TOKEN, clock=clock)
        with communicator(tmp_path, clock, [mastodon()], fake) as comms:
            incident = corrected_story(comms, clock)
        sent_everywhere(incident)
        statuses = list(fake.statuses.values())
        assert len(statuses) == 3  # open, the corrected update, the next one: no extra post
        (edit,) = fake.edits
        assert edit["id"] == statuses[1]["id"]
        assert WRONG in edit["before"]
        assert RIGHT in edit["after"]
        assert WRONG not in edit["after"]
        assert "Corrected " in edit["after"]
        assert WHY in edit["after"]
        # The update after the correction replies to the update before it, not to the edit.
        assert statuses[2]["in_reply_to_id"] == statuses[1]["id"]
        assert fake.spec_violations == []

    def test_statuspage_edits_the_incident_update_and_posts_no_new_one(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        fake = FakeStatuspage(clock=clock, rate_limit=None, components={"c1": "API"})
        with communicator(tmp_path, clock, [statuspage()], fake) as comms:
            incident = corrected_story(comms, clock)
        sent_everywhere(incident)
        (record,) = fake.incidents.values()
        bodies = [u["body"] for u in reversed(record["incident_updates"])]
        assert len(bodies) == 3
        assert RIGHT in bodies[1]
        assert WRONG not in bodies[1]
        (edit,) = fake.edits
        assert WRONG in edit["before"]
        assert edit["id"] == record["incident_updates"][1]["id"]

    def test_the_static_page_shows_the_corrected_text_marked_corrected_with_the_time(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        with communicator(tmp_path, clock, [site()]) as comms:
            incident = corrected_story(comms, clock)
        sent_everywhere(incident)
        page = (tmp_path / "site" / "incidents" / f"{incident.id}.html").read_text("utf-8")
        assert RIGHT in page
        assert WRONG not in page
        assert "(corrected <time" in page
        record = json.loads((tmp_path / "site" / ".candor-site.json").read_text("utf-8"))
        entries = record["incidents"][incident.id]["updates"]
        assert len(entries) == 3  # the correction is no entry of its own
        fixed = entries[f"{incident.id}.2"]
        assert fixed["corrected_at"] == incident.updates[2].created_at.isoformat().replace(
            "+00:00", "Z"
        )


class TestFollowUp:
    def test_x_cannot_edit_so_it_replies_with_a_correction(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        fake = FakeX(oauth1=X_KEYS, clock=clock)
        with communicator(tmp_path, clock, [x()], fake) as comms:
            incident = corrected_story(comms, clock)
        sent_everywhere(incident)
        tweets = list(fake.tweets.values())
        assert len(tweets) == 4
        follow_up = tweets[2]
        assert follow_up["text"].startswith("Correction (")
        assert "eu-west" in follow_up["text"]
        assert follow_up["in_reply_to"] == tweets[1]["id"]
        assert WRONG in tweets[1]["text"]  # a post that cannot be edited stays as it was
        assert tweets[3]["in_reply_to"] == follow_up["id"]  # the thread goes on below it

    def test_one_correction_reaches_each_kind_of_channel_once(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        fakes = (
            FakeMastodon(access_token=MASTODON_TOKEN, clock=clock),
            FakeX(oauth1=X_KEYS, clock=clock),
        )
        with communicator(tmp_path, clock, [mastodon(), x(), site()], *fakes) as comms:
            incident = corrected_story(comms, clock)
        rows = [d for d in incident.deliveries if d.update_id == f"{incident.id}.3"]
        assert sorted(d.channel for d in rows) == ["mastodon", "status", "x"]
        assert len(fakes[0].edits) == 1
        assert sum(t["text"].startswith("Correction (") for t in fakes[1].tweets.values()) == 1


@pytest.mark.parametrize("adapter", ["mastodon", "statuspage", "static_site"])
def test_the_adapters_that_say_they_edit_can_edit(adapter: str) -> None:
    from candor.adapters import registry
    from candor.typing import Editing

    factory = registry.load(adapter)
    assert factory.capabilities.editing  # type: ignore[attr-defined]
    assert issubclass(factory, Editing)  # type: ignore[arg-type]
