"""The status-page adapters (Statuspage, Cachet, Instatus), driven by a runbook, against fakes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from tests.conftest import api_outage

import candor
from candor.adapters.base import Channel
from candor.adapters.statuspage import StatuspageAdapter
from candor.errors import ConfigError
from candor.testing import Clock, MemoryAdapter
from candor.testing.fakes import FakeCachet, FakeInstatus, FakeService, FakeStatuspage

SP_KEY = "sp-key-0123456789"
CACHET_TOKEN = "cachet-token-0123456789"
INSTATUS_KEY = "instatus-key-0123456789"


class Pages:
    """The three fakes behind one client, as one communicator's shared client sees them."""

    def __init__(self, clock: Clock, **statuspage: Any) -> None:
        self.statuspage = FakeStatuspage(
            api_key=SP_KEY, components={"sp-api": "API", "sp-web": "Dashboard"}, clock=clock,
            **statuspage,
        )  # fmt: skip
        self.cachet = FakeCachet(token=CACHET_TOKEN, clock=clock)
        self.instatus = FakeInstatus(api_key=INSTATUS_KEY, clock=clock)
        self.by_host: dict[str, FakeService] = {
            httpx.URL(fake.base_url).host: fake
            for fake in (self.statuspage, self.cachet, self.instatus)
        }

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.MockTransport(lambda request: self.by_host[request.url.host](request))
        )

    def channels(self) -> list[Channel]:
        return [
            Channel(
                name="statuspage",
                adapter="statuspage",
                settings={
                    "page_id": "page1",
                    "api_key": SP_KEY,
                    "components": {"API": "sp-api", "Dashboard": "sp-web"},
                },
            ),
            Channel(
                name="cachet",
                adapter="cachet",
                settings={
                    "base_url": FakeCachet.base_url,
                    "token": CACHET_TOKEN,
                    "components": {"API": 1, "Dashboard": 2},
                },
            ),
            Channel(
                name="instatus",
                adapter="instatus",
                settings={
                    "page_id": "instatus-page",
                    "api_key": INSTATUS_KEY,
                    "components": {"API": "cmp-api", "Dashboard": "cmp-web"},
                },
            ),
        ]


@pytest.fixture
def clock() -> Clock:
    """candor.testing's clock: its sleep moves the time, so rate limits never wait for real."""
    return Clock()


@pytest.fixture
def pages(clock: Clock) -> Pages:
    return Pages(clock)


@pytest.fixture
def memory() -> MemoryAdapter:
    return MemoryAdapter("memory")


def communicator(
    tmp_path: Path, clock: Clock, pages: Pages, memory: MemoryAdapter
) -> candor.Communicator:
    return candor.Communicator(
        [*pages.channels(), Channel(name="memory", adapter=memory)],
        store=tmp_path / "candor.db",
        clock=clock,
        sleep=clock.sleep,
        client=pages.client(),
        base_dir=tmp_path,
    )


@pytest.fixture
def comms(
    tmp_path: Path, clock: Clock, pages: Pages, memory: MemoryAdapter
) -> Iterator[candor.Communicator]:
    with communicator(tmp_path, clock, pages, memory) as made:
        yield made


def runbook(comms: candor.Communicator, clock: Clock) -> candor.Incident:
    """Open, update three times, resolve: the incident as recorded."""
    incident = comms.open("API failing in eu-west", api_outage(), "Requests to the API fail.")
    steps = [
        ("identified", "The cause is an expired certificate; we are replacing it."),
        ("identified", "The new certificate is being rolled out region by region."),
        ("monitoring", "The new certificate is live; error rates are back to normal."),
    ]
    for status, message in steps:
        clock.advance(minutes=10)
        comms.update(incident.id, status=status, message=message, cause="an expired certificate")
    clock.advance(minutes=10)
    return comms.resolve(
        incident.id, message="Requests succeed again.", changed="We replaced the certificate."
    )


def sent(incident: candor.Incident) -> set[str]:
    return {d.state.value for d in incident.deliveries}


class TestTheRunbook:
    def test_one_incident_per_page_four_updates_same_facts_components_back(
        self, comms: candor.Communicator, clock: Clock, pages: Pages, memory: MemoryAdapter
    ) -> None:
        """Open + 3 updates + resolve: one remote incident each, created once, updated 4 times."""
        incident = runbook(comms, clock)
        assert sent(incident) == {"sent"}
        texts = memory.texts  # what every other channel said, update by update
        assert len(texts) == 5

        (sp,) = pages.statuspage.incidents.values()
        posts = [r for r in pages.statuspage.requests if r.method in ("POST", "PATCH")]
        assert [r.method for r in posts] == ["POST"] + ["PATCH"] * 4
        assert [u["body"] for u in reversed(sp["incident_updates"])] == texts
        assert [u["status"] for u in reversed(sp["incident_updates"])] == [
            u.status.value for u in incident.updates
        ]
        assert sp["status"] == "resolved"
        assert set(pages.statuspage.component_statuses().values()) == {"operational"}

        (cachet_id,) = pages.cachet.incidents
        cachet_updates = pages.cachet.updates[cachet_id]
        assert len(cachet_updates) == 4
        assert [pages.cachet.incidents[cachet_id]["message"]] + [
            u["message"] for u in cachet_updates
        ] == texts
        assert [u["status"] for u in cachet_updates] == [2, 2, 3, 4]
        assert {c["status"] for c in pages.cachet.components.values()} == {1}

        (instatus,) = pages.instatus.incidents.values()
        creates = [r for r in pages.instatus.requests if r.method == "POST"]
        assert [r.path.endswith("/incident-updates") for r in creates] == [False] + [True] * 4
        assert [u["message"] for u in instatus["updates"]] == texts
        assert instatus["status"] == "RESOLVED"
        assert {c["status"] for c in pages.instatus.components.values()} == {"OPERATIONAL"}

        # identical status and next-update time on every channel, update by update
        for update in incident.updates:
            rows = [d for d in incident.deliveries if d.update_id == update.id]
            assert {d.channel for d in rows} == {"statuspage", "cachet", "instatus", "memory"}
        promised = [u.next_update_by for u in incident.updates]
        for text, when in zip(texts, promised, strict=True):
            if when is not None:
                assert when.strftime("%H:%M") in text

    def test_follow_ups_thread_on_the_remote_incident(
        self, comms: candor.Communicator, clock: Clock, pages: Pages
    ) -> None:
        incident = runbook(comms, clock)
        (sp_id,) = pages.statuspage.incidents
        roots = {d.thread_root for d in incident.deliveries if d.channel == "statuspage"}
        assert roots == {sp_id}


class TestCrashBetweenCreateAndReceipt:
    def test_a_create_that_timed_out_is_adopted_not_created_again(
        self, comms: candor.Communicator, clock: Clock, pages: Pages
    ) -> None:
        """The page did the work, the client never heard: deliver_pending adopts it."""
        for fake in (pages.statuspage, pages.cachet, pages.instatus):
            fake.timeout_next()
        incident = comms.open("API failing in eu-west", api_outage(), "Requests to the API fail.")
        assert sent(incident) == {"retry", "sent"}  # memory took it; the pages are owed
        clock.advance(minutes=5)
        outcomes = comms.deliver_pending()
        assert {o.channel: o.state.value for o in outcomes} == {
            "statuspage": "sent",
            "cachet": "sent",
            "instatus": "sent",
        }
        assert len(pages.statuspage.incidents) == 1
        assert len(pages.cachet.incidents) == 1
        assert len(pages.instatus.incidents) == 1
        clock.advance(minutes=5)
        comms.update(incident.id, status="identified", message="We found the cause.")
        assert len(pages.statuspage.incidents) == 1
        (sp,) = pages.statuspage.incidents.values()
        assert len(sp["incident_updates"]) == 2
        assert pages.statuspage.requests[-1].method == "PATCH"

    def test_a_follow_up_that_timed_out_is_not_posted_twice(
        self, comms: candor.Communicator, clock: Clock, pages: Pages
    ) -> None:
        incident = comms.open("API failing in eu-west", api_outage(), "Requests to the API fail.")
        clock.advance(minutes=5)
        for fake in (pages.statuspage, pages.cachet, pages.instatus):
            fake.timeout_next()
        comms.update(incident.id, status="identified", message="We found the cause.")
        clock.advance(minutes=5)
        comms.deliver_pending()
        (sp,) = pages.statuspage.incidents.values()
        assert len(sp["incident_updates"]) == 2
        (cachet_id,) = pages.cachet.incidents
        assert len(pages.cachet.updates[cachet_id]) == 1
        (instatus,) = pages.instatus.incidents.values()
        assert len(instatus["updates"]) == 2
        assert sent(comms.get(incident.id)) == {"sent"}


def statuspage_only(
    tmp_path: Path, clock: Clock, fake: FakeStatuspage, **settings: Any
) -> candor.Communicator:
    channel = Channel(
        name="status",
        adapter="statuspage",
        settings={"page_id": "page1", "api_key": SP_KEY, "components": {"API": "sp-api"}}
        | settings,
    )
    return candor.Communicator(
        [channel],
        store=tmp_path / "candor.db",
        clock=clock,
        sleep=clock.sleep,
        client=fake.client(),
        base_dir=tmp_path,
    )


class TestStatuspage:
    def test_the_create_carries_name_impact_components_and_candor_metadata(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        fake = FakeStatuspage(api_key=SP_KEY, clock=clock)
        with statuspage_only(tmp_path, clock, fake, deliver_notifications=False) as comms:
            incident = comms.open("API failing", api_outage(), "Requests fail.")
        (request,) = fake.requests
        assert request.headers["authorization"] == f"OAuth {SP_KEY}"
        body = request.json()["incident"]
        assert body["name"] == "API failing"
        assert body["status"] == "investigating"
        assert body["impact_override"] == incident.impact.value == "major"
        # 1.2% of customers, and still a major outage for them: partial is full
        assert body["components"] == {"sp-api": "major_outage"}
        assert body["component_ids"] == ["sp-api"]
        assert body["deliver_notifications"] is False
        assert body["metadata"]["candor"] == {
            "incident_id": incident.id,
            "update_id": incident.updates[0].id,
            "seq": 1,
        }
        assert "1.2%" in body["body"]  # the body states the precise scope

    def test_degraded_then_resolved_then_reopened(self, tmp_path: Path, clock: Clock) -> None:
        fake = FakeStatuspage(api_key=SP_KEY, clock=clock)
        with statuspage_only(tmp_path, clock, fake) as comms:
            incident = comms.open("API slow", api_outage(effect="degraded"), "Requests are slow.")
            assert fake.component_statuses() == {"sp-api": "degraded_performance"}
            clock.advance(minutes=5)
            comms.resolve(incident.id, message="Requests are fast again.", cause="a full disk")
            assert fake.component_statuses() == {"sp-api": "operational"}
            (record,) = fake.incidents.values()
            assert record["status"] == "resolved"
            clock.advance(minutes=5)
            comms.reopen(incident.id, message="Requests are slow again.")
        assert len(fake.incidents) == 1
        assert record["status"] == "investigating"
        assert "resolved_at" not in record
        assert fake.component_statuses() == {"sp-api": "degraded_performance"}

    def test_a_component_dropped_from_the_scope_goes_back_to_operational(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        fake = FakeStatuspage(api_key=SP_KEY, clock=clock)
        with statuspage_only(
            tmp_path, clock, fake, components={"API": "sp-api", "Dashboard": "sp-web"}
        ) as comms:
            scope = api_outage(components=["API", "Dashboard"])
            incident = comms.open("API and dashboard down", scope, "Both fail.")
            clock.advance(minutes=5)
            comms.update(incident.id, scope=api_outage(), message="The dashboard works again.")
        assert fake.component_statuses() == {"sp-api": "major_outage", "sp-web": "operational"}

    @pytest.mark.parametrize("status", [420, 429])
    def test_420_and_429_are_waited_out(self, tmp_path: Path, clock: Clock, status: int) -> None:
        fake = FakeStatuspage(api_key=SP_KEY, clock=clock, limit_status=status)
        with statuspage_only(tmp_path, clock, fake, rate_limit=100.0) as comms:
            incident = comms.open("API failing", api_outage(), "Requests fail.")
            comms.update(incident.id, status="identified", message="Found it.")
            assert sent(comms.get(incident.id)) == {"sent"}
        answers = [r.method for r in fake.requests]
        assert answers == ["POST", "PATCH", "PATCH"]  # the second PATCH after the wait
        assert len(fake.incidents) == 1

    def test_a_refusal_quotes_the_service_and_names_the_channel(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        fake = FakeStatuspage(api_key="another-key", clock=clock)
        with statuspage_only(tmp_path, clock, fake) as comms:
            incident = comms.open("API failing", api_outage(), "Requests fail.")
        (delivery,) = incident.deliveries
        assert delivery.state.value == "failed"
        assert "Could not authenticate" in (delivery.last_error or "")
        assert SP_KEY not in (delivery.last_error or "")

    def test_settings_are_checked_and_the_key_comes_from_the_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from candor.config import load_config

        monkeypatch.setenv("STATUSPAGE_API_KEY", SP_KEY)
        (tmp_path / "candor.toml").write_text(
            '[[channels]]\nname = "status"\nadapter = "statuspage"\npage_id = "page1"\n'
            'api_key = "${STATUSPAGE_API_KEY}"\ncomponents = { API = "sp-api" }\n'
        )
        (channel,) = load_config(tmp_path / "candor.toml").channels
        adapter = StatuspageAdapter(channel, client=httpx.AsyncClient(), base_dir=tmp_path)
        assert adapter.settings.api_key.get_secret_value() == SP_KEY
        assert SP_KEY not in repr(adapter.settings)
        assert adapter.capabilities.rate_limit == 1.0
        bad = Channel(name="status", adapter="statuspage", settings={"page_id": "p", "key": "x"})
        with pytest.raises(ConfigError, match="status"):
            StatuspageAdapter(bad, client=httpx.AsyncClient(), base_dir=tmp_path)


def remote_incident(fake: FakeStatuspage, name: str = "Checkout failing") -> str:
    """An incident someone opened on the page by hand, before candor."""
    with httpx.Client(transport=fake.transport(), base_url=fake.base_url) as http:
        answer = http.post(
            "/pages/page1/incidents",
            json={"incident": {"name": name, "status": "identified", "body": "Checkout fails.",
                               "impact_override": "major",
                               "components": {"sp-api": "partial_outage"}}},
            headers={"Authorization": f"OAuth {SP_KEY}"},
        )  # fmt: skip
    answer.raise_for_status()
    return str(answer.json()["id"])


class TestImport:
    def test_an_open_incident_is_imported_and_later_updates_continue_it(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        fake = FakeStatuspage(api_key=SP_KEY, clock=clock, rate_limit=None)
        remote_id = remote_incident(fake)
        with statuspage_only(tmp_path, clock, fake) as comms:
            (imported,) = comms.import_incidents("status")
            assert imported.title == "Checkout failing"
            assert imported.status.value == "identified"
            assert imported.scope.components == ("API",)
            assert imported.impact.value == "major"
            (delivery,) = imported.deliveries
            assert (delivery.state.value, delivery.thread_root) == ("sent", remote_id)
            assert comms.import_incidents("status") == []  # idempotent
            clock.advance(minutes=5)
            comms.update(imported.id, status="monitoring", message="A fix is live.")
            comms.resolve(imported.id, message="Checkout works again.", cause="a bad deploy")
        assert len(fake.incidents) == 1
        (record,) = fake.incidents.values()
        assert [u["status"] for u in record["incident_updates"]] == [
            "resolved",
            "monitoring",
            "identified",
        ]
        assert fake.component_statuses() == {"sp-api": "operational"}

    def test_incidents_candor_made_or_resolved_ones_are_not_imported(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        fake = FakeStatuspage(api_key=SP_KEY, clock=clock, rate_limit=None)
        with statuspage_only(tmp_path, clock, fake) as comms:
            comms.open("API failing", api_outage(), "Requests fail.")
            assert comms.import_incidents("status") == []
        resolved = remote_incident(fake, "Old one")
        fake.incidents[resolved]["status"] = "resolved"
        with statuspage_only(tmp_path, clock, fake) as comms:
            assert comms.import_incidents("status") == []

    def test_the_cli_imports_a_page_and_says_what_it_did(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        request: pytest.FixtureRequest,
    ) -> None:
        from candor.cli import main
        from candor.testing.fakes import serve

        fake = FakeStatuspage(api_key=SP_KEY, rate_limit=None)
        remote_id = remote_incident(fake)
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("STATUSPAGE_API_KEY", SP_KEY)
        # The CLI points structlog at the stderr of the moment; later tests must not log there.
        request.addfinalizer(structlog.reset_defaults)
        with serve(fake) as base_url:
            (tmp_path / "candor.toml").write_text(
                '[[channels]]\nname = "status"\nadapter = "statuspage"\npage_id = "page1"\n'
                f'api_key = "${{STATUSPAGE_API_KEY}}"\nbase_url = "{base_url}"\n'
                'components = { API = "sp-api" }\n'
            )
            main(["import", "statuspage"])
            first = capsys.readouterr().out
            main(["import", "statuspage"])
            again = capsys.readouterr().out
        assert f"statuspage incident {remote_id}" in first
        assert "Checkout failing" in first
        assert again.startswith("Nothing new to import from status")


def test_the_adapters_are_registered_and_load_lazily() -> None:
    import subprocess
    import sys

    code = (
        "import sys, candor\n"
        "assert not any(m.startswith('candor.adapters.statuspage') for m in sys.modules)\n"
        "from candor.adapters import registry\n"
        "names = registry.available()\n"
        "assert {'statuspage', 'cachet', 'instatus'} <= set(names), names\n"
        "print(registry.load('cachet').__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "CachetAdapter"


@pytest.mark.parametrize("page", ["statuspage", "cachet", "instatus"])
def test_the_documented_candor_toml_section_loads_as_written(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy-paste section of each adapter's docs page is a working configuration."""
    import re

    from candor.adapters import registry
    from candor.config import load_config

    docs = Path(__file__).parents[2] / "docs" / f"{page}.md"
    (section,) = re.findall(r"```toml\n(.*?)```", docs.read_text(), flags=re.DOTALL)
    for name in re.findall(r"\$\{(\w+)\}", section):
        monkeypatch.setenv(name, "a-secret-from-the-environment")
    (tmp_path / "candor.toml").write_text(section)
    (channel,) = load_config(tmp_path / "candor.toml").channels
    adapter = registry.load(channel.adapter)(channel, client=httpx.AsyncClient(), base_dir=tmp_path)
    assert adapter.capabilities.threading
