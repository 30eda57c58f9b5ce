"""A runbook under test never touches production: not its store, not its status page.

The trap: ``capture()`` and ``candor_outbox`` replaced the channels but not the
store, so a runbook that calls ``Communicator.from_config()`` wrote its test
incident into the real ``candor.db``, and the production ``candor watch`` then
posted a holding update for it on the real status page. Here a real
``candor.toml`` in a folder of its own (a SQLite store, a static site, a real
incident already told) is hashed file by file before and after a runbook runs
under capture: nothing changes, byte for byte.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import candor
from candor.testing import Outbox, capture
from tests.conftest import api_outage

CONFIG = """\
[organization]
name = "Example"

[store]
url = "sqlite:///data/candor.db"

[[channels]]
name = "status"
adapter = "static_site"
path = "public"
"""


def runbook() -> str:
    """What on-call runs: it builds its communicator from the configuration, as in production."""
    with candor.Communicator.from_config() as comms:
        incident = comms.open("Checkout failing", api_outage(), "Card payments fail.")
        comms.update(incident.id, status="identified", message="We found a bad deploy.")
        comms.resolve(incident.id, message="Payments work again.", cause="a bad deploy")
        return incident.id


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by its path, with the SHA-256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real setup with one real incident told on its site; the runbook runs from there."""
    folder = tmp_path / "prod"
    folder.mkdir()
    (folder / "candor.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(folder)
    monkeypatch.delenv("CANDOR_CONFIG", raising=False)
    with candor.Communicator.from_config() as comms:
        comms.open("Search slow", api_outage(effect="degraded"), "Searches take seconds.")
    assert (folder / "data" / "candor.db").is_file()
    assert (folder / "public" / "index.html").is_file()
    return folder


def real_titles(folder: Path) -> list[str]:
    """The incidents in the real store (named, as a capture would give the temporary one)."""
    store = folder / "data" / "candor.db"
    with candor.Communicator(channels=[], store=store) as comms:
        return [incident.title for incident in comms.list()]


def test_a_runbook_under_capture_leaves_the_real_store_and_site_unchanged(
    production: Path,
) -> None:
    before = fingerprint(production)
    with capture() as outbox:
        incident_id = runbook()
        # The runbook's own store is there for the test to read, inside the capture.
        with candor.Communicator.from_config() as comms:
            assert comms.get(incident_id).status is candor.Status.RESOLVED
    assert len(outbox.messages("status")) == 3
    assert fingerprint(production) == before
    assert real_titles(production) == ["Search slow"]


def test_the_capture_store_is_temporary_and_gone_afterwards(production: Path) -> None:
    with capture() as outbox:
        runbook()
        store = Path(str(outbox.store))
        assert store.is_file()
        assert production not in store.parents
    assert not store.exists()


def test_the_env_variable_config_is_not_touched_either(
    production: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("CANDOR_CONFIG", str(production / "candor.toml"))
    before = fingerprint(production)
    with capture():
        runbook()
    assert fingerprint(production) == before
    assert list(elsewhere.iterdir()) == []


def test_a_store_the_test_gives_is_kept(production: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine.db"
    with capture(), candor.Communicator.from_config(store=mine) as comms:
        comms.open("Checkout failing", api_outage(), "Card payments fail.")
    with candor.Communicator(channels=[], store=mine) as comms:
        assert [i.title for i in comms.list()] == ["Checkout failing"]


def test_a_store_given_to_capture_is_every_communicators(production: Path, tmp_path: Path) -> None:
    mine = tmp_path / "shared.db"
    before = fingerprint(production)
    with capture(store=mine) as outbox:
        runbook()
    assert outbox.store == mine
    assert fingerprint(production) == before
    with candor.Communicator(channels=[], store=mine) as comms:
        assert [i.title for i in comms.list()] == ["Checkout failing"]


def test_the_pytest_fixture_isolates_the_store_too(production: Path, candor_outbox: Outbox) -> None:
    before = fingerprint(production)
    runbook()
    assert len(candor_outbox.messages("status")) == 3
    assert fingerprint(production) == before
    assert real_titles(production) == ["Search slow"]
