"""Killed between the request and the saved receipt, then resumed: no duplicate on any service.

Mastodon, Bluesky and X fakes are served on 127.0.0.1; each action runs in a
process that is SIGKILLed right after a service first answered a post
(``sent:1``, see tests/crash_at.py), so its receipt is never saved. A second
process, its clock past the first one's lease, resumes with ``deliver_pending``.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from candor.store.sqlite import SQLiteStore
from candor.testing.fakes import FakeBluesky, FakeMastodon, FakeX, serve

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("social_crash_child.py")
ROOT = Path(__file__).parents[2]


@pytest.fixture
def fakes() -> Iterator[tuple[FakeMastodon, FakeBluesky, FakeX, list[str]]]:
    mastodon, bluesky, x = FakeMastodon(), FakeBluesky(), FakeX()
    with ExitStack() as stack:
        urls = [stack.enter_context(serve(fake)) for fake in (mastodon, bluesky, x)]
        yield mastodon, bluesky, x, urls


def run(
    config: Path, *arguments: str, crash: bool, offset: int
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "CANDOR_TEST_OFFSET": str(offset)}
    environment.update(
        MASTODON_TOKEN="mastodon-token",
        BLUESKY_APP_PASSWORD="app-pass-word",
        X_TOKEN="x-user-token",
    )
    environment.pop("CANDOR_TEST_CRASH_AT", None)
    if crash:
        environment["CANDOR_TEST_CRASH_AT"] = "sent:1"
    return subprocess.run(
        [sys.executable, str(CHILD), str(config), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_kill_after_each_request_then_a_resume_leaves_one_thread_of_each(
    tmp_path: Path, fakes: tuple[FakeMastodon, FakeBluesky, FakeX, list[str]]
) -> None:
    mastodon, bluesky, x, (mastodon_url, bluesky_url, x_url) = fakes
    config = tmp_path / "candor.toml"
    config.write_text(
        f"""
[organization]
name = "Acme"
status_page_url = "https://status.acme.example"

[store]
url = "sqlite:///{tmp_path / "candor.db"}"

[[channels]]
name = "mastodon"
adapter = "mastodon"
base_url = "{mastodon_url}"
access_token = "${{MASTODON_TOKEN}}"

[[channels]]
name = "bluesky"
adapter = "bluesky"
service = "{bluesky_url}"
identifier = "status.example.com"
app_password = "${{BLUESKY_APP_PASSWORD}}"

[[channels]]
name = "x"
adapter = "x"
base_url = "{x_url}"
user_token = "${{X_TOKEN}}"
""",
        encoding="utf-8",
    )
    opened = run(config, "open", crash=False, offset=0)
    assert opened.returncode == 0, opened.stderr
    incident_id = opened.stdout.strip()
    offset = 0
    for action in ("update", "update", "update", "resolve"):
        killed = run(config, action, incident_id, crash=True, offset=offset)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        # Each resume may itself be killed after its first request; keep resuming until done.
        for _ in range(4):
            offset += 600
            resumed = run(config, "deliver", crash=False, offset=offset)
            assert resumed.returncode == 0, resumed.stderr
        offset += 600
    incident = SQLiteStore(tmp_path / "candor.db").get(incident_id)
    assert {d.state for d in incident.deliveries} == {"sent"}
    assert len(mastodon.statuses) == 5
    assert len(bluesky.records) == 5
    assert len(x.tweets) == 5
    texts = list(mastodon.sources.values())
    assert len(set(texts)) == 5
    statuses = list(mastodon.statuses.values())
    for parent, status in itertools.pairwise(statuses):
        assert status["in_reply_to_id"] == parent["id"]
    records = list(bluesky.records.values())
    for parent, record in itertools.pairwise(records):
        assert record["value"]["reply"]["parent"]["uri"] == parent["uri"]
        assert record["value"]["reply"]["root"]["uri"] == records[0]["uri"]
    tweets = list(x.tweets.values())
    assert all(tweet["in_reply_to"] in x.tweets for tweet in tweets[1:])
