"""``candor subscribers``: add, confirm, list, import, export, remove; mail to a real server."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.smtp_server import Mailbox
from tests.test_cli import _in_empty_folder, assert_user_error, run, run_json

__all__ = ["_in_empty_folder"]  # the autouse fixture: every test runs in an empty folder

SECRET = "cli-subscriber-secret-0123456789abcdef"


@pytest.fixture
def configured(
    server: tuple[Mailbox, int], mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> Mailbox:
    """candor.toml in the test's folder, with one email channel mailing the real server."""
    monkeypatch.setenv("CANDOR_EMAIL_SECRET", SECRET)
    Path("candor.toml").write_text(
        '[organization]\nname = "Acme"\nstatus_page_url = "https://status.acme.example"\n\n'
        '[[channels]]\nname = "subscribers"\nadapter = "email"\nhost = "127.0.0.1"\n'
        f'port = {server[1]}\nsecurity = "none"\nfrom = "Acme Status <status@acme.example>"\n'
        'secret = "${CANDOR_EMAIL_SECRET}"\n',
        encoding="utf-8",
    )
    return mailbox


def token_mailed_to(mailbox: Mailbox, address: str) -> str:
    body = mailbox.to(address)[-1].message.get_body(("plain",))
    assert body is not None
    found = re.search(r"token=(\S+)", body.get_content())
    assert found is not None
    return unquote(found.group(1))


class TestAddAndConfirm:
    def test_add_mails_a_link_and_confirm_takes_its_token(
        self, capsys: pytest.CaptureFixture[str], configured: Mailbox
    ) -> None:
        out = run(capsys, "subscribers", "add", "ana@example.org", "-c", "API", "-r", "eu-west")
        assert out.out.startswith("ana@example.org: API; eu-west; not confirmed (via cli)")
        token = token_mailed_to(configured, "ana@example.org")

        confirmed = run_json(capsys, "subscribers", "confirm", token)
        assert confirmed["address"] == "ana@example.org"
        assert confirmed["confirmed_at"] is not None
        (listed,) = run_json(capsys, "subscribers", "list")
        assert listed["components"] == ["API"]
        assert listed["regions"] == ["eu-west"]

        run(capsys, "open", "API down in eu-west", "-c", "API", "-r", "eu-west",
            "-m", "Requests to the API fail.")  # fmt: skip
        assert [str(m.message["Subject"]) for m in configured.to("ana@example.org")][1:] == [
            "[Investigating] API down in eu-west"
        ]

    def test_a_bad_token_is_one_line_of_error(
        self, capsys: pytest.CaptureFixture[str], configured: Mailbox
    ) -> None:
        line = assert_user_error(run(capsys, "subscribers", "confirm", "nonsense", code=1))
        assert "token" in line

    def test_list_takes_json_after_the_subcommand_too(
        self, capsys: pytest.CaptureFixture[str], configured: Mailbox
    ) -> None:
        run(capsys, "subscribers", "add", "ana@example.org", "--confirmed")
        (listed,) = json.loads(run(capsys, "subscribers", "list", "--json").out)
        assert listed["source"] == "cli"


class TestImportExport:
    def test_import_then_export_round_trips_the_list(
        self, capsys: pytest.CaptureFixture[str], configured: Mailbox
    ) -> None:
        Path("people.csv").write_text(
            "address,components,regions\nana@example.org,API;Checkout,eu-west\nbo@example.org,,\n",
            encoding="utf-8",
        )
        out = run(capsys, "subscribers", "import", "people.csv", "--confirmed").out
        assert out.startswith("Added 2 subscriber(s) from people.csv")
        assert configured.mails == [], "confirmed elsewhere: no links mailed"

        exported = list(csv.DictReader(io.StringIO(run(capsys, "subscribers", "export").out)))
        assert [(r["address"], r["components"], r["regions"], r["source"]) for r in exported] == [
            ("ana@example.org", "API;Checkout", "eu-west", "import"),
            ("bo@example.org", "", "", "import"),
        ]
        assert all(r["confirmed_at"] for r in exported)

    def test_an_import_without_confirmed_mails_each_a_link(
        self, capsys: pytest.CaptureFixture[str], configured: Mailbox
    ) -> None:
        Path("people.csv").write_text("address\nana@example.org\nbo@example.org\n")
        run(capsys, "subscribers", "import", "people.csv")
        assert sorted(a for m in configured.mails for a in m.recipients) == [
            "ana@example.org",
            "bo@example.org",
        ]

    def test_a_bad_line_names_itself_and_nothing_is_added(
        self, capsys: pytest.CaptureFixture[str], configured: Mailbox
    ) -> None:
        Path("people.csv").write_text("address\nana@example.org\nnot-an-address\n")
        line = assert_user_error(run(capsys, "subscribers", "import", "people.csv", code=1))
        assert "people.csv:3" in line
        assert not Path("candor.db").exists()  # nothing added, not even a store made


class TestRemove:
    def test_remove_by_address_and_by_an_unsubscribe_links_token(
        self, capsys: pytest.CaptureFixture[str], configured: Mailbox
    ) -> None:
        run(capsys, "subscribers", "add", "ana@example.org", "--confirmed")
        run(capsys, "subscribers", "add", "bo@example.org", "--confirmed")
        run(capsys, "open", "API down", "-c", "API", "-m", "Requests to the API fail.")
        header = str(configured.to("bo@example.org")[0].message["List-Unsubscribe"])
        token = unquote(re.findall(r"token=([^>]+)>", header)[0])

        assert run(capsys, "subscribers", "remove", "ana@example.org").out.strip() == (
            "ana@example.org: removed"
        )
        assert run_json(capsys, "subscribers", "remove", "--token", token)["removed"] is True
        assert run_json(capsys, "subscribers", "list") == []
        assert "was not subscribed" in run(capsys, "subscribers", "remove", "ana@example.org").out
