"""The static status page: what it writes, that it writes it once, and that it is safe to read."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import httpx
import jsonschema
import pytest

from candor import Communicator
from candor.adapters.base import Channel, DeliveryContext, Form, Receipt
from candor.adapters.static_site import STATE_FILE, StaticSiteAdapter
from candor.errors import ConfigError
from candor.model import Effect, Impact, Incident, Organization, Scope, Status, Update, UpdateKind
from candor.render import Message
from candor.testing import Clock

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
ORG = Organization(name="Acme", status_page_url="https://status.acme.example", timezone="UTC")
XSS = "<script>alert(1)</script>"


class Story:
    """An incident told one update at a time, as the facade would record it."""

    def __init__(
        self,
        title: str = "API requests failing in eu-west",
        scope: Scope | None = None,
        impact: Impact = Impact.MAJOR,
        incident_id: str = "inc-1",
        start: datetime = T0,
    ) -> None:
        self.id = incident_id
        self.title = title
        self.scope = scope or Scope(
            components=["API"], regions=["eu-west"], affected_fraction=0.012
        )
        self.impact = impact
        self.start = start
        self.updates: list[Update] = []
        self.incident: Incident | None = None

    def add(
        self, status: Status, text: str, *, minutes: int, next_in: int | None = 30
    ) -> tuple[Incident, Update]:
        seq = len(self.updates) + 1
        at = self.start + timedelta(minutes=minutes)
        kind = (
            UpdateKind.OPEN
            if seq == 1
            else UpdateKind.RESOLVE
            if status is Status.RESOLVED
            else UpdateKind.UPDATE
        )
        update = Update(
            id=f"{self.id}-u{seq}",
            incident_id=self.id,
            seq=seq,
            kind=kind,
            status=status,
            previous_status=self.updates[-1].status if self.updates else None,
            impact=self.impact,
            scope=self.scope,
            message=text,
            next_update_by=(
                None
                if status is Status.RESOLVED or next_in is None
                else at + timedelta(minutes=next_in)
            ),
            created_at=at,
        )
        self.updates.append(update)
        self.incident = Incident(
            id=self.id,
            title=self.title,
            status=status,
            impact=self.impact,
            scope=self.scope,
            started_at=self.start,
            created_at=self.start,
            updated_at=at,
            resolved_at=at if status is Status.RESOLVED else None,
            next_update_by=update.next_update_by,
            version=seq,
            updates=tuple(self.updates),
        )
        return self.incident, update


_clients: list[httpx.AsyncClient] = []


def make_adapter(tmp_path: Path, **settings: Any) -> StaticSiteAdapter:
    channel = Channel(name="status", adapter="static_site", settings=settings)
    client = httpx.AsyncClient()  # the adapter never uses it; the protocol hands one to all
    _clients.append(client)
    return StaticSiteAdapter(channel, client=client, base_dir=tmp_path)


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _clients:
        asyncio.run(_clients.pop().aclose())


def deliver(
    adapter: StaticSiteAdapter,
    incident: Incident,
    update: Update,
    *,
    now: datetime | None = None,
    organization: Organization = ORG,
) -> Receipt:
    """Post one update the way delivery would: the message rendered from the update."""
    message = Message(
        channel="status",
        form=Form.LONG,
        title=incident.title,
        text=f"{update.status.value.capitalize()}: {update.message}",
        incident_id=incident.id,
        update_id=update.id,
        seq=update.seq,
        status=update.status,
        next_update_by=update.next_update_by,
    )
    context = DeliveryContext(
        channel="status",
        incident=incident,
        update=update,
        idempotency_key=f"{incident.id}:{update.id}:status",
        organization=organization,
        now=now or update.created_at + timedelta(minutes=1),
    )
    return asyncio.run(adapter.post(message, context))


def tell(adapter: StaticSiteAdapter, story: Story, *steps: tuple[Status, str, int]) -> None:
    for status, text, minutes in steps:
        incident, update = story.add(status, text, minutes=minutes)
        deliver(adapter, incident, update)


FULL_STORY = (
    (Status.INVESTIGATING, "Requests to the API in eu-west return 503 errors.", 0),
    (Status.IDENTIFIED, "A failed database node; we are moving traffic away.", 20),
    (Status.RESOLVED, "Traffic moved; errors stopped at 14:52 UTC.", 55),
)


def read(site: Path, name: str) -> str:
    return (site / name).read_text(encoding="utf-8")


def snapshot(site: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(site)): path.read_bytes()
        for path in sorted(site.rglob("*"))
        if path.is_file() and not path.name.endswith(".lock")
    }


class TestTimeline:
    def test_index_lists_an_open_incident_with_its_whole_timeline_newest_first(
        self, tmp_path: Path
    ) -> None:
        adapter = make_adapter(tmp_path)
        tell(adapter, Story(), *FULL_STORY[:2])
        index = read(tmp_path / "site", "index.html")
        assert "API requests failing in eu-west" in index
        first = index.index("A failed database node")
        second = index.index("Requests to the API in eu-west return 503 errors.")
        assert first < second
        assert "Major outage" in index
        assert "for 1.2% of our customers, in eu-west" in index
        assert "Partial System Outage" in index or "Major System Outage" in index
        assert "next update promised by <time" in index
        assert "14:50 UTC" in index  # identified at 14:20, next update in 30 minutes
        assert 'href="incidents/inc-1.html"' in index
        assert 'href="feed.atom"' in index

    def test_resolved_incident_moves_to_history_and_components_are_operational(
        self, tmp_path: Path
    ) -> None:
        adapter = make_adapter(tmp_path, components=["Dashboard"])
        tell(adapter, Story(), *FULL_STORY)
        index = read(tmp_path / "site", "index.html")
        assert "All Systems Operational" in index
        assert "Major outage" not in index
        assert index.count("Operational</span>") == 2  # Dashboard, then API named by the incident
        history = index[index.index("Recently resolved") :]
        for _, text, _ in FULL_STORY:
            assert text in history

    def test_incident_page_has_the_whole_timeline(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        tell(adapter, Story(), *FULL_STORY)
        page = read(tmp_path / "site", "incidents/inc-1.html")
        positions = [page.index(text) for _, text, _ in reversed(FULL_STORY)]
        assert positions == sorted(positions)
        assert 'lang="en"' in page
        assert '<meta charset="utf-8">' in page

    def test_last_updated_is_an_absolute_time_that_cannot_go_stale(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        story = Story()
        incident, update = story.add(*FULL_STORY[0][:2], minutes=0)
        deliver(adapter, incident, update, now=T0 + timedelta(minutes=7))
        index = read(tmp_path / "site", "index.html")
        stamp = '<time datetime="2026-11-20T14:00:00Z">20 Nov 2026, 14:00 UTC</time>'
        assert f"Last updated {stamp}" in index
        assert "minutes ago" not in index, "a relative time in the HTML goes stale in a cache"

    def test_a_broken_promise_is_shown_as_late(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        incident, update = Story().add(*FULL_STORY[0][:2], minutes=0)  # next update by 14:30
        deliver(adapter, incident, update, now=T0 + timedelta(minutes=45))
        index = read(tmp_path / "site", "index.html")
        late = "(this update is late: we have missed the time we promised)"
        assert f'<span class="late" data-late> {late}</span>' in index

    def test_pages_load_nothing_from_elsewhere(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        tell(adapter, Story(), *FULL_STORY[:1])
        for name in ("index.html", "incidents/inc-1.html"):
            page = read(tmp_path / "site", name)
            assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
            assert "@import" not in page

    def test_receipt_names_the_update_and_links_the_incident_page(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        incident, update = Story().add(*FULL_STORY[0][:2], minutes=0)
        receipt = deliver(adapter, incident, update)
        assert receipt == Receipt(
            channel="status",
            remote_id="inc-1-u1",
            url="https://status.acme.example/incidents/inc-1.html",
            thread_root="inc-1",
        )

    def test_receipt_links_the_file_when_the_page_has_no_address(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        incident, update = Story().add(*FULL_STORY[0][:2], minutes=0)
        receipt = deliver(adapter, incident, update, organization=Organization(name="Acme"))
        page = tmp_path / "site" / "incidents" / "inc-1.html"
        assert receipt.url == page.resolve().as_uri()
        assert page.is_file()


class TestIdempotency:
    def test_reposting_the_same_update_changes_nothing(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        story = Story()
        incident, update = story.add(*FULL_STORY[0][:2], minutes=0)
        deliver(adapter, incident, update)
        before = snapshot(tmp_path / "site")
        deliver(adapter, incident, update, now=T0 + timedelta(minutes=9))
        assert snapshot(tmp_path / "site") == before
        state = json.loads(read(tmp_path / "site", STATE_FILE))
        assert list(state["incidents"]["inc-1"]["updates"]) == ["inc-1-u1"]

    def test_a_late_retry_of_an_old_update_does_not_roll_the_page_back(
        self, tmp_path: Path
    ) -> None:
        adapter = make_adapter(tmp_path)
        story = Story()
        first = story.add(*FULL_STORY[0][:2], minutes=0)
        deliver(adapter, *first)
        tell(adapter, story, FULL_STORY[2])
        deliver(adapter, *first, now=T0 + timedelta(hours=2))
        summary = json.loads(read(tmp_path / "site", "api/v2/summary.json"))
        assert summary["incidents"] == []
        assert summary["status"]["indicator"] == "none"


class TestEscaping:
    def test_user_text_is_escaped_in_every_output(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path, components=[f"Web {XSS}"])
        story = Story(
            title=f"Login broken {XSS}",
            scope=Scope(components=[f"API {XSS}"], regions=[f"eu {XSS}"], affected_fraction=0.5),
        )
        tell(adapter, story, (Status.INVESTIGATING, f"Errors {XSS} & more", 0))
        site = tmp_path / "site"
        for name in ("index.html", "incidents/inc-1.html", "feed.atom"):
            text = read(site, name)
            assert "<script>alert" not in text, name
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, name
        index = read(site, "index.html")
        assert "Web &lt;script&gt;" in index
        assert "API &lt;script&gt;" in index
        assert "eu &lt;script&gt;" in index
        assert "&amp; more" in index

    def test_organization_name_is_escaped(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        incident, update = Story().add(*FULL_STORY[0][:2], minutes=0)
        deliver(adapter, incident, update, organization=Organization(name=f"Acme {XSS}"))
        index = read(tmp_path / "site", "index.html")
        assert "<script>alert" not in index
        assert "Acme &lt;script&gt;alert(1)&lt;/script&gt; status" in index

    def test_the_only_script_holds_no_user_text(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        tell(adapter, Story(title="Unique-Title-Marker"), *FULL_STORY[:1])
        index = read(tmp_path / "site", "index.html")
        scripts = re.findall(r"<script>(.*?)</script>", index, flags=re.S)
        assert len(scripts) == 1
        assert "Unique-Title-Marker" not in scripts[0]
        assert "Acme" not in scripts[0]


class TestFeed:
    def test_feed_is_valid_atom_with_one_entry_per_update(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        tell(adapter, Story(title=f"API down {XSS}"), *FULL_STORY)
        raw = read(tmp_path / "site", "feed.atom")
        parsed = feedparser.parse(raw)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.version == "atom10"
        titles = [entry.title for entry in parsed.entries]
        assert titles == [
            f"Resolved: API down {XSS}",
            f"Identified: API down {XSS}",
            f"Investigating: API down {XSS}",
        ]
        assert [entry.id for entry in parsed.entries] == [
            "urn:candor:update:inc-1-u3",
            "urn:candor:update:inc-1-u2",
            "urn:candor:update:inc-1-u1",
        ]
        assert parsed.entries[0].link == "https://status.acme.example/incidents/inc-1.html"
        assert parsed.feed.title == "Acme status"
        assert parsed.feed.updated == "2026-11-20T14:55:00Z"

    def test_feed_content_is_plain_text(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        tell(adapter, Story(), *FULL_STORY[:1])
        root = ET.fromstring((tmp_path / "site" / "feed.atom").read_bytes())
        content = root.find(
            "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content"
        )
        assert content is not None
        assert content.get("type") == "text"
        assert content.text == f"Investigating: {FULL_STORY[0][1]}"

    def test_feed_stays_valid_xml_with_control_characters_already_recorded(
        self, tmp_path: Path
    ) -> None:
        """Text an older candor recorded with NUL, ESC or BEL in it."""
        adapter = make_adapter(tmp_path)
        story = Story(title="API \x1b[31mdown\x00")
        tell(adapter, story, (Status.INVESTIGATING, "Errors\x07 \x0c and \x1b]0;x\x07.", 0))
        raw = (tmp_path / "site" / "feed.atom").read_bytes()
        root = ET.fromstring(raw)  # a strict XML parser: raises on any invalid character
        entry = root.find("{http://www.w3.org/2005/Atom}entry")
        assert entry is not None
        title = entry.findtext("{http://www.w3.org/2005/Atom}title")
        assert title == "Investigating: API \ufffd[31mdown\ufffd"
        parsed = feedparser.parse(raw)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.entries[0].content[0].value == (
            "Investigating: Errors\ufffd \ufffd and \ufffd]0;x\ufffd."
        )


class TestComponentFeeds:
    """``feeds/<component>.atom``: follow what you use without giving an address."""

    def test_each_component_has_a_feed_of_only_the_incidents_that_touch_it(
        self, tmp_path: Path
    ) -> None:
        adapter = make_adapter(tmp_path, components=["API", "Checkout", "Dashboard"])
        api = Story(title="API failing", incident_id="inc-1")
        both = Story(
            title="Checkout and API slow",
            incident_id="inc-2",
            scope=Scope(components=["Checkout", "API"], affected_fraction=0.3),
        )
        tell(adapter, api, *FULL_STORY)
        tell(adapter, both, (Status.INVESTIGATING, "Checkout and the API answer slowly.", 60))
        site = tmp_path / "site"

        def entries(name: str) -> list[str]:
            parsed = feedparser.parse(read(site, name))
            assert parsed.bozo == 0, parsed.get("bozo_exception")
            assert parsed.version == "atom10"
            return [entry.id for entry in parsed.entries]

        assert entries("feeds/api.atom") == [
            "urn:candor:update:inc-2-u1",
            "urn:candor:update:inc-1-u3",
            "urn:candor:update:inc-1-u2",
            "urn:candor:update:inc-1-u1",
        ]
        assert entries("feeds/checkout.atom") == ["urn:candor:update:inc-2-u1"]
        assert entries("feeds/dashboard.atom") == [], "a quiet component has an empty feed"
        parsed = feedparser.parse(read(site, "feeds/checkout.atom"))
        assert parsed.feed.title == "Acme status: Checkout"
        assert parsed.feed.id == "https://status.acme.example/feeds/checkout.atom"
        links = {link.rel: link.href for link in parsed.feed.links}
        assert links["self"] == "https://status.acme.example/feeds/checkout.atom"

    def test_the_page_links_every_components_feed(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path, components=["API", "Checkout"])
        tell(adapter, Story(), *FULL_STORY[:1])
        index = read(tmp_path / "site", "index.html")
        for name, path in (("API", "feeds/api.atom"), ("Checkout", "feeds/checkout.atom")):
            assert f'title="Acme status: {name}" href="{path}"' in index, "a <link> in the head"
            assert f'<a class="feed" href="{path}"' in index, "and a visible link"

    def test_names_that_slug_alike_get_feeds_of_their_own(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path, components=["EU API", "eu-api"])
        tell(adapter, Story(scope=Scope(components=["eu-api"], affected_fraction=1.0)), *FULL_STORY)
        feeds = sorted(p.name for p in (tmp_path / "site" / "feeds").iterdir())
        assert len(feeds) == 2
        assert "eu-api.atom" in feeds
        ids = {
            feedparser.parse((tmp_path / "site" / "feeds" / f).read_text()).feed.title: len(
                feedparser.parse((tmp_path / "site" / "feeds" / f).read_text()).entries
            )
            for f in feeds
        }
        assert ids == {"Acme status: EU API": 0, "Acme status: eu-api": 3}


STATUSPAGE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
COMPONENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "name",
        "status",
        "created_at",
        "updated_at",
        "position",
        "description",
        "showcase",
        "start_date",
        "group_id",
        "page_id",
        "group",
        "only_show_if_degraded",
    ],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9-]+$"},
        "name": {"type": "string"},
        "status": {
            "enum": ["operational", "degraded_performance", "partial_outage", "major_outage"]
        },
        "created_at": STATUSPAGE_TIME,
        "updated_at": STATUSPAGE_TIME,
        "position": {"type": "integer", "minimum": 1},
        "description": {"type": ["string", "null"]},
        "showcase": {"type": "boolean"},
        "start_date": {"type": ["string", "null"]},
        "group_id": {"type": ["string", "null"]},
        "page_id": {"type": "string"},
        "group": {"type": "boolean"},
        "only_show_if_degraded": {"type": "boolean"},
    },
}
PAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "url", "time_zone", "updated_at"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "url": {"type": "string"},
        "time_zone": {"type": "string"},
        "updated_at": STATUSPAGE_TIME,
    },
}
INCIDENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "name",
        "status",
        "created_at",
        "updated_at",
        "monitoring_at",
        "resolved_at",
        "impact",
        "shortlink",
        "started_at",
        "page_id",
        "incident_updates",
        "components",
    ],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "status": {"enum": ["investigating", "identified", "monitoring", "resolved", "postmortem"]},
        "created_at": STATUSPAGE_TIME,
        "updated_at": STATUSPAGE_TIME,
        "monitoring_at": NULLABLE_TIME,
        "resolved_at": NULLABLE_TIME,
        "impact": {"enum": ["none", "minor", "major", "critical"]},
        "shortlink": {"type": "string"},
        "started_at": STATUSPAGE_TIME,
        "page_id": {"type": "string"},
        "incident_updates": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "status",
                    "body",
                    "incident_id",
                    "created_at",
                    "updated_at",
                    "display_at",
                    "affected_components",
                    "deliver_notifications",
                    "custom_tweet",
                    "tweet_id",
                ],
                "properties": {
                    "id": {"type": "string"},
                    "status": {"type": "string"},
                    "body": {"type": "string"},
                    "incident_id": {"type": "string"},
                    "created_at": STATUSPAGE_TIME,
                    "updated_at": STATUSPAGE_TIME,
                    "display_at": STATUSPAGE_TIME,
                    "affected_components": {"type": ["array", "null"]},
                    "deliver_notifications": {"type": "boolean"},
                    "custom_tweet": {"type": ["string", "null"]},
                    "tweet_id": {"type": ["string", "null"]},
                },
            },
        },
        "components": {"type": "array", "items": COMPONENT_SCHEMA},
    },
}
SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["page", "components", "incidents", "scheduled_maintenances", "status"],
    "properties": {
        "page": PAGE_SCHEMA,
        "components": {"type": "array", "items": COMPONENT_SCHEMA},
        "incidents": {"type": "array", "items": INCIDENT_SCHEMA},
        "scheduled_maintenances": {"type": "array"},
        "status": {
            "type": "object",
            "required": ["indicator", "description"],
            "properties": {
                "indicator": {"enum": ["none", "minor", "major", "critical"]},
                "description": {"type": "string"},
            },
        },
    },
}
INCIDENTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["page", "incidents"],
    "properties": {"page": PAGE_SCHEMA, "incidents": {"type": "array", "items": INCIDENT_SCHEMA}},
}


def validate(document: Any, schema: dict[str, Any]) -> None:
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())


class TestStatuspageJson:
    def test_summary_has_the_statuspage_shape_and_indicator(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path, components=["Dashboard", "API"])
        tell(adapter, Story(), *FULL_STORY[:2])
        summary = json.loads(read(tmp_path / "site", "api/v2/summary.json"))
        validate(summary, SUMMARY_SCHEMA)
        assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
        assert [(c["id"], c["status"]) for c in summary["components"]] == [
            ("dashboard", "operational"),
            ("api", "major_outage"),
        ]
        (incident,) = summary["incidents"]
        assert incident["status"] == "identified"
        assert incident["impact"] == "major"
        assert [u["id"] for u in incident["incident_updates"]] == ["inc-1-u2", "inc-1-u1"]
        assert incident["shortlink"] == "https://status.acme.example/incidents/inc-1.html"
        assert summary["page"]["url"] == "https://status.acme.example"

    def test_everything_down_is_a_major_system_outage(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        everyone = Scope(components=["API"], affected_fraction=1.0)
        story = Story(scope=everyone, impact=Impact.CRITICAL)
        tell(adapter, story, FULL_STORY[0])
        summary = json.loads(read(tmp_path / "site", "api/v2/summary.json"))
        assert summary["status"] == {"indicator": "critical", "description": "Major System Outage"}

    def test_resolved_page_is_all_operational(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        tell(adapter, Story(), *FULL_STORY)
        site = tmp_path / "site"
        summary = json.loads(read(site, "api/v2/summary.json"))
        validate(summary, SUMMARY_SCHEMA)
        assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}
        assert summary["incidents"] == []
        history = json.loads(read(site, "api/v2/incidents.json"))
        validate(history, INCIDENTS_SCHEMA)
        (incident,) = history["incidents"]
        assert incident["resolved_at"] == "2026-11-20T14:55:00Z"
        assert len(incident["incident_updates"]) == 3

    def test_incidents_json_lists_newest_first(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        tell(adapter, Story(incident_id="old"), *FULL_STORY)
        tell(adapter, Story(incident_id="new", start=T0 + timedelta(hours=3)), FULL_STORY[0])
        history = json.loads(read(tmp_path / "site", "api/v2/incidents.json"))
        assert [i["id"] for i in history["incidents"]] == ["new", "old"]


class TestPartialIsFull:
    def test_component_down_for_one_percent_shows_major_outage(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        story = Story(scope=Scope(components=["Billing"], affected_fraction=0.01))
        tell(adapter, story, FULL_STORY[0])
        summary = json.loads(read(tmp_path / "site", "api/v2/summary.json"))
        assert [c["status"] for c in summary["components"]] == ["major_outage"]
        index = read(tmp_path / "site", "index.html")
        assert "Major outage" in index
        assert "for 1% of our customers" in index

    def test_degraded_component_shows_degraded_performance(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        scope = Scope(components=["Search"], affected_fraction=0.3, effect=Effect.DEGRADED)
        tell(adapter, Story(scope=scope, impact=Impact.MINOR), FULL_STORY[0])
        summary = json.loads(read(tmp_path / "site", "api/v2/summary.json"))
        assert [c["status"] for c in summary["components"]] == ["degraded_performance"]
        assert summary["status"]["indicator"] == "minor"
        assert "Degraded performance" in read(tmp_path / "site", "index.html")


class TestSettings:
    def test_defaults(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        assert adapter.folder == (tmp_path / "site").resolve()
        assert adapter.settings.history == 20
        assert adapter.capabilities.idempotency

    def test_title_and_path_are_used(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path, path="public/status", title="Acme service health")
        tell(adapter, Story(), FULL_STORY[0])
        index = read(tmp_path / "public" / "status", "index.html")
        assert "<title>Acme service health</title>" in index

    def test_history_limits_resolved_incidents_listed(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path, history=1)
        tell(adapter, Story(incident_id="a", title="First incident"), *FULL_STORY)
        later = T0 + timedelta(hours=5)
        tell(adapter, Story(incident_id="b", title="Second incident", start=later), *FULL_STORY)
        index = read(tmp_path / "site", "index.html")
        assert "Second incident" in index
        assert "First incident" not in index
        assert (tmp_path / "site" / "incidents" / "a.html").is_file()

    def test_unknown_key_is_a_config_error_naming_channel_and_key(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError) as caught:
            make_adapter(tmp_path, folder="site")
        assert caught.value.channel == "status"
        assert caught.value.key == "folder"
        assert "status" in str(caught.value)
        assert "folder" in str(caught.value)

    @pytest.mark.parametrize(
        ("key", "value"),
        [("history", "many"), ("history", -1), ("components", "API"), ("path", 3), ("title", 5)],
    )
    def test_wrong_type_is_a_config_error_naming_channel_and_key(
        self, tmp_path: Path, key: str, value: object
    ) -> None:
        with pytest.raises(ConfigError) as caught:
            make_adapter(tmp_path, **{key: value})
        assert caught.value.channel == "status"
        assert caught.value.key == key


class TestTimesThatCannotGoStale:
    """A page read from a cache or with JavaScript off says nothing false."""

    LATE = '<span class="late" data-late> (this update is late: we have missed the time we'

    def test_a_promise_that_passes_is_written_into_the_page_when_it_is_republished(
        self, tmp_path: Path
    ) -> None:
        adapter = make_adapter(tmp_path)
        incident, update = Story().add(*FULL_STORY[0][:2], minutes=0)  # next update by 14:30
        deliver(adapter, incident, update, now=T0 + timedelta(minutes=5))
        site = tmp_path / "site"
        assert self.LATE not in read(site, "index.html")
        organization = Organization(name="Acme", status_page_url="https://status.acme.example")

        assert not asyncio.run(adapter.republish(T0 + timedelta(minutes=20), organization))
        assert self.LATE not in read(site, "index.html"), "nothing has passed yet"
        assert asyncio.run(adapter.republish(T0 + timedelta(minutes=31), organization))
        index = read(site, "index.html")
        assert self.LATE in index
        assert self.LATE in read(site, "incidents/inc-1.html")
        before = snapshot(site)
        assert not asyncio.run(adapter.republish(T0 + timedelta(minutes=40), organization))
        assert snapshot(site) == before, "written once per promise that passes"

    def test_nothing_published_is_nothing_to_republish(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        organization = Organization(name="Acme")
        assert not asyncio.run(adapter.republish(T0, organization))
        assert not (tmp_path / "site").exists()

    def test_watch_rewrites_the_page_when_a_promise_passes(self, tmp_path: Path) -> None:
        clock = Clock(T0)
        channel = Channel(name="status", adapter="static_site", settings={})
        with Communicator(
            [channel], store=tmp_path / "candor.db", clock=clock, base_dir=tmp_path
        ) as comms:
            comms.open(
                "API failing",
                Scope(components=["API"], affected_fraction=0.1),
                "Requests to the API fail for 10% of customers.",
                next_update_in="30m",
            )
            assert self.LATE not in read(tmp_path / "site", "index.html")
            clock.advance(timedelta(minutes=31))
            comms.watch(ticks=1)
        assert self.LATE in read(tmp_path / "site", "index.html")


class TestUptime:
    """Per component, 90 days of bars from the incidents' real windows of impact."""

    def tell_a_30_minute_outage(self, adapter: StaticSiteAdapter, **scope: Any) -> None:
        """14:00 to 14:30 UTC on 20 Nov: down for everyone; "resolved" is posted at 14:55."""
        story = Story(scope=Scope(components=["API"], **scope), impact=Impact.MAJOR)
        incident, update = story.add(Status.INVESTIGATING, "API requests fail.", minutes=0)
        deliver(adapter, incident, update)
        incident, update = story.add(Status.RESOLVED, "Fixed.", minutes=55)
        update = update.model_copy(update={"ended_at": T0 + timedelta(minutes=30)})
        incident = incident.model_copy(update={"updates": (*incident.updates[:-1], update)})
        deliver(adapter, incident, update, now=T0 + timedelta(days=1))

    def test_a_day_with_a_30_minute_major_outage_shows_as_such(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path, components=["API", "Dashboard"])
        self.tell_a_30_minute_outage(adapter)
        document = json.loads(read(tmp_path / "site", "api/candor/uptime.json"))
        assert document["to"] == "2026-11-21"
        assert document["from"] == "2026-08-24", "90 days, the last one today"
        api, dashboard = document["components"]
        assert len(api["days"]) == 90
        (bad,) = [day for day in api["days"] if day["major_outage_minutes"]]
        assert bad == {
            "date": "2026-11-20",
            "impact": "major",
            "major_outage_minutes": 30,
            "partial_outage_minutes": 0,
            "degraded_minutes": 0,
        }, "the window ends when the impact ended, not when 'resolved' was posted"
        assert api["uptime_percent"] == 99.97  # 30 of 129,600 minutes, floored
        assert dashboard["uptime_percent"] == 100.0
        index = read(tmp_path / "site", "index.html")
        assert 'title="20 Nov 2026: 30 min major outage"' in index
        assert (
            "API: 99.97% uptime over the last 90 days. 20 Nov 2026: 30 min major outage." in index
        )
        assert "99.97% uptime, last 90 days" in index
        assert '<i class="down impact-major"' in index, "shape as well as colour"

    def test_an_outage_for_some_customers_is_a_partial_outage_and_counts_as_down(
        self, tmp_path: Path
    ) -> None:
        adapter = make_adapter(tmp_path)
        self.tell_a_30_minute_outage(adapter, regions=["eu-west"], affected_fraction=0.1)
        (api,) = json.loads(read(tmp_path / "site", "api/candor/uptime.json"))["components"]
        (bad,) = [day for day in api["days"] if day["partial_outage_minutes"]]
        assert (bad["partial_outage_minutes"], bad["major_outage_minutes"]) == (30, 0)
        assert api["uptime_percent"] == 99.97, "a partial outage is a full outage for those hit"

    def test_a_slowdown_is_degraded_minutes_not_downtime(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        self.tell_a_30_minute_outage(adapter, effect=Effect.DEGRADED, affected_fraction=1.0)
        (api,) = json.loads(read(tmp_path / "site", "api/candor/uptime.json"))["components"]
        (slow,) = [day for day in api["days"] if day["degraded_minutes"]]
        assert slow["degraded_minutes"] == 30
        assert api["uptime_percent"] == 100.0
        assert '<i class="slow impact-major"' in read(tmp_path / "site", "index.html")

    def test_an_outage_across_midnight_is_split_between_the_days(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        start = datetime(2026, 11, 20, 23, 40, tzinfo=UTC)
        story = Story(scope=Scope(components=["API"]), start=start)
        incident, update = story.add(Status.INVESTIGATING, "API requests fail.", minutes=0)
        deliver(adapter, incident, update)
        incident, update = story.add(Status.RESOLVED, "Fixed.", minutes=45)
        deliver(adapter, incident, update)
        (api,) = json.loads(read(tmp_path / "site", "api/candor/uptime.json"))["components"]
        minutes = {
            d["date"]: d["major_outage_minutes"] for d in api["days"] if d["major_outage_minutes"]
        }
        assert minutes == {"2026-11-20": 20, "2026-11-21": 25}


class TestHistory:
    """Every resolved incident stays reachable, by month, beyond the ones the index lists."""

    def test_each_month_has_a_page_with_every_incident_and_its_whole_timeline(
        self, tmp_path: Path
    ) -> None:
        adapter = make_adapter(tmp_path, history=1)
        for number, start in enumerate(
            (
                datetime(2026, 9, 3, 10, tzinfo=UTC),
                datetime(2026, 10, 8, 10, tzinfo=UTC),
                datetime(2026, 10, 20, 10, tzinfo=UTC),
                T0,
            ),
            start=1,
        ):
            story = Story(incident_id=f"inc-{number}", title=f"Incident {number}", start=start)
            tell(adapter, story, *FULL_STORY)
        site = tmp_path / "site"
        index = read(site, "index.html")
        assert "Incident 1" not in index, "the index lists only the last `history`"
        for month, name in (
            ("2026-11", "November 2026"),
            ("2026-10", "October 2026"),
            ("2026-09", "September 2026"),
        ):
            assert f'<a href="history/{month}.html">{name}</a>' in index
        october = read(site, "history/2026-10.html")
        assert october.index("Incident 3") < october.index("Incident 2"), "newest first"
        assert "Incident 1" not in october
        assert "Incident 4" not in october
        for _, text, _ in FULL_STORY:
            assert october.count(text) == 2, "both incidents' whole timelines"
        assert '<a href="2026-11.html" rel="prev">Newer: November 2026</a>' in october
        assert '<a href="2026-09.html" rel="next">Older: September 2026</a>' in october
        assert 'href="../incidents/inc-2.html"' in october
        assert 'rel="next"' not in read(site, "history/2026-09.html"), "the oldest month"

    def test_open_incidents_are_not_history(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path)
        tell(adapter, Story(), *FULL_STORY[:2])
        assert not (tmp_path / "site" / "history").exists()
        assert "<h2>History</h2>" not in read(tmp_path / "site", "index.html")


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    """WCAG 2's contrast ratio of two #rrggbb colours."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


class TestAccessibleAndFast:
    """Colour is never the only signal; text contrast meets WCAG AA; the page is small."""

    PAIRS = (
        ("text", "bg"),
        ("text", "card"),
        ("muted", "card"),
        ("muted", "bg"),
        ("link", "card"),
        ("ok", "ok-bg"),
        ("warn", "warn-bg"),
        ("down", "down-bg"),
        ("info", "info-bg"),
        ("ok", "card"),
        ("down", "card"),
    )

    def palettes(self, page: str) -> list[dict[str, str]]:
        found = []
        for block in re.findall(r":root \{([^}]*)\}", page):
            found.append(dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6})", block)))
        return found

    def test_every_text_colour_meets_wcag_aa_on_its_background_light_and_dark(
        self, tmp_path: Path
    ) -> None:
        adapter = make_adapter(tmp_path)
        tell(adapter, Story(), *FULL_STORY[:1])
        light, dark = self.palettes(read(tmp_path / "site", "index.html"))
        for palette in (light, dark):
            for text, ground in self.PAIRS:
                ratio = contrast(palette[text], palette[ground])
                assert ratio >= 4.5, f"--{text} on --{ground}: {ratio:.2f} < 4.5"

    def test_the_page_has_its_landmarks_and_states_the_state_in_words(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path, components=["API"])
        tell(adapter, Story(), *FULL_STORY[:1])
        index = read(tmp_path / "site", "index.html")
        for landmark in ("<header", "<nav", "<main", "<footer", 'lang="en"'):
            assert landmark in index
        assert index.count("<h1") == 1
        assert '<span class="state major_outage">Major outage</span>' in index, "words, not colour"

    def test_a_busy_page_weighs_under_100_kb_and_asks_for_nothing_outside(
        self, tmp_path: Path
    ) -> None:
        names = [f"Component {n}" for n in range(12)]
        adapter = make_adapter(tmp_path, components=names)
        for number in range(20):
            start = T0 - timedelta(days=3 * number)
            scope = Scope(components=names[number % 12 : number % 12 + 2], affected_fraction=0.5)
            story = Story(incident_id=f"inc-{number}", start=start, scope=scope)
            tell(adapter, story, *FULL_STORY)
        for page in ("index.html", "incidents/inc-0.html", "history/2026-11.html"):
            raw = (tmp_path / "site" / page).read_bytes()
            assert len(raw) < 100_000, f"{page} weighs {len(raw):,} bytes"
            text = raw.decode()
            assert " src=" not in text, "no image, script or frame is fetched"
            assert "url(" not in text, "no font or image from the style sheet"
            assert "@import" not in text
            links = re.findall(r"<link ([^>]*)>", text)
            assert all('rel="alternate"' in link for link in links), links


GROUPS = [{"name": "Payments", "components": ["Checkout", "Billing"]}]


class TestComponentsFirst:
    """The page opens with the overall status and every component, grouped as configured."""

    def test_components_come_before_the_open_incidents(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path, components=["API", "Dashboard"])
        tell(adapter, Story(), *FULL_STORY[:2])
        index = read(tmp_path / "site", "index.html")
        banner = index.index('class="banner')
        components = index.index("<h2>Components</h2>")
        incidents = index.index("<h2>Open incidents</h2>")
        assert banner < components < incidents

    def test_a_group_shows_its_worst_state_above_its_components(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path, components=["API"], groups=GROUPS)
        checkout = Scope(components=["Checkout"], affected_fraction=0.2)
        tell(adapter, Story(scope=checkout), *FULL_STORY[:1])
        index = read(tmp_path / "site", "index.html")
        group = index[index.index('<section class="group"') : index.index("</section>")]
        assert '<span class="name">Payments</span><span class="state major_outage">' in group
        assert group.index(">Checkout ") < group.index(">Billing "), "members in their order"
        rest = index[index.index("</section>") : index.index("<h2>Open incidents</h2>")]
        assert ">API " in rest, "a component in no group is listed after the groups"
        assert ">API " not in group

    def test_summary_json_lists_the_group_the_way_statuspage_does(self, tmp_path: Path) -> None:
        adapter = make_adapter(tmp_path, components=["API"], groups=GROUPS)
        tell(
            adapter,
            Story(scope=Scope(components=["Billing"], affected_fraction=1.0)),
            FULL_STORY[0],
        )
        summary = json.loads(read(tmp_path / "site", "api/v2/summary.json"))
        validate(summary, SUMMARY_SCHEMA)
        by_id = {c["id"]: c for c in summary["components"]}
        group = by_id["group-payments"]
        assert group["group"] is True
        assert group["components"] == ["checkout", "billing"]
        assert group["status"] == "major_outage"
        assert by_id["billing"]["group_id"] == "group-payments"
        assert by_id["checkout"]["group_id"] == "group-payments"
        assert by_id["api"]["group_id"] is None

    @pytest.mark.parametrize(
        ("groups", "words"),
        [
            ([*GROUPS, {"name": "Other", "components": ["Billing"]}], "both 'Payments' and"),
            ([*GROUPS, {"name": "Payments", "components": ["API"]}], "same name"),
            ([{"name": "API", "components": ["Checkout"]}], "names a group and a component"),
            ([{"name": "Empty", "components": []}], "components"),
        ],
    )
    def test_a_bad_group_is_a_config_error_naming_what_is_wrong(
        self, tmp_path: Path, groups: list[dict[str, Any]], words: str
    ) -> None:
        with pytest.raises(ConfigError, match=words) as caught:
            make_adapter(tmp_path, components=["API"], groups=groups)
        assert caught.value.channel == "status"


def find_chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


@pytest.mark.browser
class TestInBrowser:
    def test_real_browser_shows_timeline_runs_no_injected_script_and_counts_minutes(
        self, tmp_path: Path
    ) -> None:
        chromium = find_chromium()
        if chromium is None:
            if os.environ.get("CI"):
                pytest.fail(
                    "Chromium is required for the browser tests on CI (apt install chromium)"
                )
            pytest.skip("Chromium is not installed; install it to run the browser tests")
        injected = (
            "<script>document.title='PWNED';document.body.appendChild("
            "Object.assign(document.createElement('p'),{id:'pwned-marker'}))</script>"
            "<img src=x onerror=\"document.title='PWNED'\">"
        )
        # Relative to the real clock, so the browser's own count differs from the server's.
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=47)
        story = Story(title="Checkout failing", start=start)
        adapter = make_adapter(tmp_path)
        for status, text, minutes in (
            (Status.INVESTIGATING, "Checkout returns errors for card payments.", 0),
            (Status.IDENTIFIED, f"Card processor timeouts. {injected}", 1),
        ):
            incident, update = story.add(status, text, minutes=minutes, next_in=120)
            deliver(adapter, incident, update, now=start + timedelta(minutes=2))
        index = tmp_path / "site" / "index.html"
        assert "minute ago" not in index.read_text(encoding="utf-8")  # absolute times only

        result = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--virtual-time-budget=2000",
                "--dump-dom",
                index.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        dom = result.stdout
        assert result.returncode == 0, result.stderr[-2000:]
        assert "Checkout returns errors for card payments." in dom
        assert "Card processor timeouts." in dom
        assert 'id="pwned-marker"' not in dom
        assert "PWNED</title>" not in dom
        assert "<title>Acme status</title>" in dom
        assert "&lt;script&gt;document.title='PWNED'" in dom
        live = re.search(
            r"<span class=\"ago\" data-ago=\"[^\"]+\" data-live=\"\"> \((\d+) minutes ago\)<", dom
        )
        assert live is not None, "the page script did not refresh the relative time"
        assert 45 <= int(live.group(1)) <= 50
