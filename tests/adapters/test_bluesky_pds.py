"""The Bluesky adapter against a real PDS: @atproto/dev-env's TestNetworkNoAppView on 127.0.0.1.

``scripts/setup-atproto-pds.sh`` installs a Node 22 and @atproto/dev-env into
``.cache/atproto`` (``$CANDOR_ATPROTO_CACHE``); ``scripts/atproto_pds.mjs``
starts the PDS and makes an account. Without them this test skips, printing why.
"""

from __future__ import annotations

import itertools
import json
import os
import selectors
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.social import DELIVERY, live_through

import candor
from candor.testing import Clock

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
LAUNCHER = ROOT / "scripts" / "atproto_pds.mjs"
SETUP = "scripts/setup-atproto-pds.sh"
START_TIMEOUT = 90.0


def _skip(reason: str) -> None:
    print(f"SKIPPED real-PDS test: {reason}")
    pytest.skip(reason)


def _cache() -> Path:
    return Path(os.environ.get("CANDOR_ATPROTO_CACHE") or ROOT / ".cache" / "atproto")


@pytest.fixture(scope="module")
def pds() -> Iterator[dict[str, Any]]:
    cache = _cache()
    ready = cache / "ready"
    if not ready.is_file():
        _skip(f"Node 22 and @atproto/dev-env are not set up in {cache}: run {SETUP}")
    node = ready.read_text().strip()
    if not Path(node).is_file():
        _skip(f"the Node that {SETUP} installed is gone ({node}): run it again")
    process = subprocess.Popen(
        [node, str(LAUNCHER), str(cache)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _first_line(process, START_TIMEOUT)
        if not line:
            process.kill()
            _, errors = process.communicate(timeout=10)
            _skip(f"the PDS did not start: {errors.strip()[-800:] or 'no output'}")
        yield json.loads(line)
    finally:
        if process.poll() is None:
            assert process.stdin is not None
            process.stdin.close()  # the launcher stops the network when its input closes
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if selector.select(timeout=0.5):
                return process.stdout.readline().strip()
    finally:
        selector.close()
    return ""


def test_an_incident_is_one_thread_of_five_posts_on_a_real_pds(
    pds: dict[str, Any], tmp_path: Path, clock: Clock
) -> None:
    """Open, three updates, resolve: five posts, one thread, links as facets, read back."""
    channel = candor.Channel(
        name="bluesky",
        adapter="bluesky",
        settings={
            "service": pds["service"],
            "identifier": pds["handle"],
            "app_password": pds["password"],
        },
    )
    with candor.Communicator(
        [channel],
        store=tmp_path / "candor.db",
        clock=clock,
        base_dir=tmp_path,
        organization=candor.Organization(
            name="Acme", status_page_url="https://status.acme.example"
        ),
        delivery=DELIVERY,
    ) as comms:
        incident = live_through(comms, clock)
    deliveries = sorted(incident.deliveries, key=lambda d: d.seq)
    assert [d.state for d in deliveries] == ["sent"] * 5, [d.last_error for d in deliveries]
    uris = [str(d.remote_id) for d in deliveries]
    records = [_get_record(pds, uri) for uri in uris]
    root = records[0]
    assert "reply" not in root["value"]
    for parent, record in itertools.pairwise(records):
        reply = record["value"]["reply"]
        assert reply["root"] == {"uri": root["uri"], "cid": root["cid"]}
        assert reply["parent"] == {"uri": parent["uri"], "cid": parent["cid"]}
    for record in records:
        text: str = record["value"]["text"]
        (facet,) = record["value"]["facets"]
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        url = text.encode()[start:end].decode()
        assert url.startswith("https://status.acme.example/incidents/")
        assert facet["features"][0]["uri"] == url
    assert {d.thread_root for d in deliveries} == {root["uri"]}


def _get_record(pds: dict[str, Any], uri: str) -> dict[str, Any]:
    repo, collection, rkey = uri.removeprefix("at://").split("/", 2)
    response = httpx.get(
        f"{pds['service']}/xrpc/com.atproto.repo.getRecord",
        params={"repo": repo, "collection": collection, "rkey": rkey},
        timeout=10,
    )
    response.raise_for_status()
    record: dict[str, Any] = response.json()
    return record


def test_a_retried_create_and_reconcile_find_the_post_already_made(
    pds: dict[str, Any], tmp_path: Path
) -> None:
    """The real PDS refuses a second record at the same key; the adapter takes the first."""
    import asyncio

    from candor.adapters.bluesky import BlueskyAdapter
    from candor.testing.contract import AdapterContract

    channel = candor.Channel(
        name="bluesky",
        adapter="bluesky",
        settings={
            "service": pds["service"],
            "identifier": pds["handle"],
            "app_password": pds["password"],
        },
    )
    contract = AdapterContract()
    contract.channel = "bluesky"  # type: ignore[misc]

    async def scenario() -> list[candor.Receipt | None]:
        async with httpx.AsyncClient() as client:
            adapter = BlueskyAdapter(channel, client=client, base_dir=tmp_path)
            message, context = contract.message(adapter, contract.incident(42))
            before = await adapter.reconcile(message, context)
            first = await adapter.post(message, context)
            again = await adapter.post(message, context)
            found = await adapter.reconcile(message, context)
            return [before, first, again, found]

    before, first, again, found = asyncio.run(scenario())
    assert before is None
    assert first is not None
    assert again == first
    assert found == first
