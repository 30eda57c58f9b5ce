"""Two ``candor deliver`` processes at once: each reports the other's rows as in its hands.

A row claimed under a live lease by another process is not a crash: the
process holding it is delivering it right now and records its outcome.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.conftest import api_outage
from tests.receiver import Received, Receiver, ok, serving

import candor
from candor.cli import main
from candor.store.sqlite import SQLiteStore
from candor.testing import Clock, MemoryAdapter, reset

ELSEWHERE = "being delivered by another process"


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    # The CLI configures structlog to print to the stderr of the moment (this test's
    # capture); later tests must not log into that closed stream.
    yield
    reset()


class TestInProcess:
    def test_a_row_claimed_by_another_live_process_is_reported_as_in_its_hands(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        adapter = MemoryAdapter("page")
        adapter.fail_next(status_code=503)
        with candor.Communicator(
            [candor.Channel(name="page", adapter=adapter)],
            store=tmp_path / "candor.db",
            clock=clock,
            base_dir=tmp_path,
            delivery=candor.DeliverySettings(max_attempts=1),
        ) as comms:
            incident = comms.open("API down", api_outage(), "Requests to the API fail.")
            clock.advance(hours=1)
            other = SQLiteStore(tmp_path / "candor.db")
            (held,) = other.claim(
                token="other-host:4242:abc", now=clock(), lease=timedelta(minutes=5)
            )
            other.close()

            (outcome,) = comms.deliver_pending()
            assert outcome.state.value == "in_flight"
            assert outcome.elsewhere
            assert outcome.error is not None
            assert ELSEWHERE in outcome.error
            assert "stopped" not in outcome.error
            assert adapter.posted == []
            assert held.incident_id == incident.id


class TestTwoProcesses:
    def test_the_second_deliver_says_the_first_is_delivering(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        arrived = threading.Event()
        gate = threading.Event()

        def answer(request: Received) -> tuple[int, dict[str, str], bytes]:
            arrived.set()
            gate.wait(timeout=60)
            return ok(request)

        monkeypatch.chdir(tmp_path)
        with serving(Receiver(answer=answer)) as (receiver,):
            (tmp_path / "candor.toml").write_text(
                '[[channels]]\nname = "ops"\nadapter = "webhook"\n'
                f'url = "{receiver.url}"\nsecret = "0123456789abcdef0123"\n',
                encoding="utf-8",
            )
            environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
            first = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from candor.cli import main; main()",
                    "open",
                    "API down",
                    "-c",
                    "API",
                    "-m",
                    "Down.",
                ],
                cwd=tmp_path,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                assert arrived.wait(timeout=60), "the first process never posted"
                with pytest.raises(SystemExit) as exited:
                    main(["deliver"])
                second = capsys.readouterr()
                with pytest.raises(SystemExit):
                    main(["--json", "deliver"])
                rows = json.loads(capsys.readouterr().out)
            finally:
                gate.set()
                _, err = first.communicate(timeout=60)
            assert first.returncode == 0, err
        assert exited.value.code == 4
        assert "Traceback" not in second.out + second.err
        assert ELSEWHERE in second.out + second.err
        assert "stopped before recording" not in second.out + second.err
        assert "being delivered by another process: ops" in second.err
        assert [(r["channel"], r["state"], r["elsewhere"]) for r in rows] == [
            ("ops", "in_flight", True)
        ]
        assert len(receiver.requests) == 1
