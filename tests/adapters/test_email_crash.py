"""Killed in the middle of a fan-out, then resumed: nobody lost, nobody mailed twice but
the one message each connection had in flight.

A real SMTP server (aiosmtpd) runs in the test; each action runs in a child process
(email_crash_child.py). The server kills the child with SIGKILL from inside its DATA
handler, after it has kept the K-th mail and before it answers 250: the worst moment, a
mail delivered whose acceptance the sender never hears of. A second process, its clock
past the first one's lease, resumes with ``deliver_pending``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from tests.smtp_server import Mail, Mailbox, smtp_server

from candor.store.sqlite import SQLiteStore

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("email_crash_child.py")
ROOT = Path(__file__).parents[2]
PEOPLE = 30
CONNECTIONS = 3


def start(config: Path, *arguments: str, offset: int) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "CANDOR_TEST_OFFSET": str(offset)}
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(config), *arguments],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = process.communicate(timeout=60)
    return process.returncode, err


def test_a_kill_mid_fan_out_then_a_resume_mails_everyone_once_but_the_in_flight(
    tmp_path: Path,
) -> None:
    with smtp_server(Mailbox()) as (mailbox, port):
        config = tmp_path / "candor.toml"
        config.write_text(
            f"""
[organization]
name = "Acme"
status_page_url = "https://status.acme.example"

[store]
url = "sqlite:///{tmp_path / "candor.db"}"

[[channels]]
name = "mail"
adapter = "email"
host = "127.0.0.1"
port = {port}
security = "none"
from = "Acme Status <status@acme.example>"
secret = "a-secret-for-the-crash-test-0123456789"
connections = {CONNECTIONS}
""",
            encoding="utf-8",
        )
        code, err = finish(start(config, "seed", str(PEOPLE), offset=0))
        assert code == 0, err

        offset = 0
        crashes = 0
        incident_id = ""
        for action, kill_at in (("open", 1), ("update", 11), ("resolve", 29)):
            before = len(mailbox.mails)
            process = start(config, action, *([incident_id] if incident_id else []), offset=offset)

            def kill(
                mail: Mail,
                process: subprocess.Popen[str] = process,
                at: int = before + kill_at,
            ) -> None:
                if len(mailbox.mails) == at:
                    os.kill(process.pid, signal.SIGKILL)

            mailbox.on_mail = kill
            code, err = finish(process)
            mailbox.on_mail = None
            assert code == -signal.SIGKILL, f"{action} was not killed: {err}"
            crashes += 1
            if not incident_id:
                (incident,) = SQLiteStore(tmp_path / "candor.db").list()
                incident_id = incident.id
            for _ in range(2):  # resume, past the killed process's lease
                offset += 600
                code, err = finish(start(config, "deliver", offset=offset))
                assert code == 0, err
            offset += 600

    incident = SQLiteStore(tmp_path / "candor.db").get(incident_id)
    assert [d.state for d in incident.deliveries] == ["sent", "sent", "sent"]
    mails = list(mailbox.mails)
    by_person = Counter(address for mail in mails for address in mail.recipients)
    assert set(by_person) == {f"person{n}@example.org" for n in range(PEOPLE)}, "nobody lost"
    ids = [str(mail.message["Message-ID"]) for mail in mails]
    assert len(set(ids)) == 3 * PEOPLE, "each person got each of the three updates"
    again = len(ids) - len(set(ids))
    assert again <= crashes * CONNECTIONS, f"{again} mails went twice"
    assert again >= 1, "the mail in flight at each kill goes again (it was never acknowledged)"
