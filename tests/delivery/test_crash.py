"""Crash safety, proven: SIGKILL the delivering process at every named step, then resume.

Eight webhook channels post to eight real HTTP servers on 127.0.0.1 (four
deduplicate by ``Idempotency-Key``, as docs/webhook.md asks receivers to; four
do not). Each trial opens, updates and resolves an incident; every action, and
every ``deliver`` that resumes after it, runs in a process that is SIGKILLed
at a random named step (after the commit, the claim, the request, the
response, the receipt), sometimes two delivering processes at once. Then:

- nothing is lost: every outbox row ends ``sent`` and every receiver has every
  update it is owed;
- nothing is duplicated where the receiver deduplicates: one delivery per key;
- elsewhere, duplicates stay within the documented bound: at most one extra
  request per kill that happened while the request was in flight;
- update N never arrives on a channel before update N-1.

Each child kills itself (tests/crash_at.py) on the log event candor emits at
the step, or, for "the service has the request", in an HTTP transport around
the one candor uses: candor has no crash hook of its own. The run goes on
until it has made ``TARGET_KILLS`` kills, at every step; a machine however slow
gets ``TIME_LIMIT`` seconds for that, far more than it needs, so the test fails
on speed only when something hangs. ``CANDOR_CRASH_SEED`` replays a run.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.crash_at import STEPS
from tests.receiver import Receiver, serving

from candor.store.sqlite import SQLiteStore

pytestmark = pytest.mark.slow

WORKER = Path(__file__).with_name("crash_worker.py")
CHANNELS = 8
TARGET_KILLS = 200
TIME_LIMIT = 900.0
SECRET = "whsec-crash-harness-0000"


class Worker:
    """The fork server of crash_worker.py, driven one command at a time."""

    def __init__(self, folder: Path) -> None:
        environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
        self.errors = (folder / "worker.err").open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER)],
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            cwd=folder,
        )

    def __call__(self, **command: Any) -> list[str]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the crash worker died"
        ended: list[str] = json.loads(line)
        return ended

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        assert self.process.stdout is not None
        self.process.stdout.close()
        self.errors.close()


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, ...]]:
    made = [Receiver(deduplicates=number % 2 == 0) for number in range(CHANNELS)]
    with serving(*made) as running:
        yield running


def random_crash(rng: random.Random, action: str) -> str | None:
    if rng.random() < 0.15:
        return None
    steps = [s for s in STEPS if action != "deliver" or s != "committed"]
    step = rng.choice(steps)
    nth = {"committed": 1, "claimed": rng.randint(1, 2)}.get(step, rng.randint(1, CHANNELS))
    return f"{step}:{nth}"


@pytest.mark.timeout(TIME_LIMIT + 120)
def test_kills_at_every_step_lose_nothing_and_duplicate_within_the_bound(
    tmp_path: Path, receivers: tuple[Receiver, ...]
) -> None:
    seed = int(os.environ.get("CANDOR_CRASH_SEED", "4"))
    rng = random.Random(seed)
    config = tmp_path / "candor.toml"
    config.write_text(
        "".join(
            f'[[channels]]\nname = "hook-{number}"\nadapter = "webhook"\n'
            f'url = "{receiver.url}"\nsecret = "{SECRET}"\n'
            f"receiver_deduplicates = {'true' if receiver.deduplicates else 'false'}\n\n"
            for number, receiver in enumerate(receivers)
        )
        + '[store]\nurl = "sqlite:///candor.db"\n',
        encoding="utf-8",
    )
    store = SQLiteStore(tmp_path / "candor.db")
    worker = Worker(tmp_path)
    kills_by_step: Counter[str] = Counter()
    kills_in_incident: Counter[str] = Counter()
    offset = 0.0
    started = time.monotonic()
    trials = 0
    try:
        while sum(kills_by_step.values()) < TARGET_KILLS or set(kills_by_step) != set(STEPS):
            elapsed = time.monotonic() - started
            assert elapsed < TIME_LIMIT, (
                f"{sum(kills_by_step.values())} of {TARGET_KILLS} kills after {elapsed:.0f} s: "
                "something hangs"
            )
            trials += 1
            incident_id: str | None = None
            for action in ("open", "update", "resolve"):
                known = {i.id for i in store.list()}
                crash = random_crash(rng, action)
                offset += 3600
                ended = worker(
                    config=str(config), action=action, incident_id=incident_id,
                    crash=crash, offset=offset,
                )  # fmt: skip
                if incident_id is None:
                    (incident_id,) = {i.id for i in store.list()} - known
                assert ended[0] in {"killed", "exit 0"}, (action, crash, ended)
                if ended[0] == "killed":
                    kills_by_step[crash.split(":")[0] if crash else "?"] += 1
                    kills_in_incident[incident_id] += 1
                for _ in range(12):
                    if not store.pending(incident_id=incident_id):
                        break
                    crash = random_crash(rng, "deliver") if rng.random() < 0.6 else None
                    parallel = 2 if rng.random() < 0.3 else 1
                    offset += 3600
                    ended = worker(
                        config=str(config), action="deliver", incident_id=None,
                        crash=crash, offset=offset, parallel=parallel,
                    )  # fmt: skip
                    assert set(ended) <= {"killed", "exit 0"}, (crash, ended)
                    for end in ended:
                        if end == "killed":
                            kills_by_step[crash.split(":")[0] if crash else "?"] += 1
                            kills_in_incident[incident_id] += 1
                assert store.pending(incident_id=incident_id) == [], "an update was left owed"
    finally:
        worker.close()

    kills = sum(kills_by_step.values())
    print(
        f"seed {seed}: {trials} trials, {kills} kills by step {dict(kills_by_step)} "
        f"in {time.monotonic() - started:.0f} s"
    )
    assert kills >= TARGET_KILLS
    assert set(kills_by_step) == set(STEPS), kills_by_step

    incidents = store.list()
    assert len(incidents) == trials
    rows = [(i.id, d) for i in incidents for d in i.deliveries]
    assert len(rows) == trials * 3 * CHANNELS
    assert {d.state for _, d in rows} == {"sent"}, "every update reached every channel"

    by_channel = {f"hook-{n}": receiver for n, receiver in enumerate(receivers)}
    requests_per_key: Counter[str] = Counter(
        request.key for receiver in receivers for request in receiver.requests
    )
    keys_of = {receiver.port: set(receiver.delivered) for receiver in receivers}
    extra = 0
    for incident in incidents:
        for delivery in incident.deliveries:
            receiver = by_channel[delivery.channel]
            matching = [
                r for r in receiver.delivered.values()
                if r.json["incident"]["id"] == incident.id
                and r.json["update"]["seq"] == delivery.seq
            ]  # fmt: skip
            assert matching, f"{incident.id} update {delivery.seq} never reached {delivery.channel}"
            key = matching[0].key
            assert key in keys_of[receiver.port]
            if receiver.deduplicates:
                assert len(matching) == 1
            else:
                bound = 1 + kills_in_incident[incident.id]
                assert requests_per_key[key] <= bound, (delivery.channel, key)
                extra += requests_per_key[key] - 1

    for receiver in receivers:
        order: dict[str, list[int]] = defaultdict(list)
        for request in receiver.requests:
            body = request.json
            seqs = order[body["incident"]["id"]]
            if body["update"]["seq"] not in seqs:
                seqs.append(body["update"]["seq"])
        for incident_id, seqs in order.items():
            assert seqs == sorted(seqs), f"update order broken for {incident_id}: {seqs}"
    print(f"duplicates on receivers that do not deduplicate: {extra} for {kills} kills")
