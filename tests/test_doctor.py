"""``candor doctor``: a setup checked, one line per check, against real local servers.

The services are candor's own fakes (``candor.testing.fakes``), each served on
127.0.0.1, so every probe is a real HTTP request that the fake answers as the
service documents it. Nothing is ever posted: each test also checks that.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import candor
from candor.cli import main
from candor.doctor import diagnose
from candor.testing import reset
from candor.testing.fakes import FakeMastodon, FakeStatuspage, serve
from tests.conftest import api_outage
from tests.smtp_server import Mailbox


@pytest.fixture(autouse=True)
def _in_empty_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("CANDOR_CONFIG", raising=False)
    yield
    reset()


@pytest.fixture
def mastodon() -> Iterator[tuple[FakeMastodon, str]]:
    fake = FakeMastodon(specs=False)
    with serve(fake) as url:
        yield fake, url


@pytest.fixture
def statuspage() -> Iterator[tuple[FakeStatuspage, str]]:
    fake = FakeStatuspage(specs=False)
    with serve(fake) as url:
        yield fake, url


def write_config(folder: Path, *channels: str) -> Path:
    """A candor.toml with a store in ``data/``, a static site and ``channels`` (TOML tables)."""
    config = folder / "candor.toml"
    config.write_text(
        '[store]\nurl = "sqlite:///data/candor.db"\n\n'
        '[[channels]]\nname = "status"\nadapter = "static_site"\npath = "public"\n\n'
        + "\n".join(channels),
        encoding="utf-8",
    )
    return config


def mastodon_channel(url: str) -> str:
    return (
        '[[channels]]\nname = "social"\nadapter = "mastodon"\n'
        f'base_url = "{url}"\naccess_token = "${{MASTODON_TOKEN}}"\n'
    )


def statuspage_channel(url: str) -> str:
    return (
        '[[channels]]\nname = "page"\nadapter = "statuspage"\n'
        f'base_url = "{url}"\npage_id = "page1"\napi_key = "${{STATUSPAGE_KEY}}"\n'
    )


def with_store(config: Path) -> Path:
    """The configuration's store made, with one incident in it (no channel told)."""
    store = config.parent / "data" / "candor.db"
    with candor.Communicator(channels=[], store=store) as comms:
        comms.open("API failing", api_outage(), "Requests fail.")
    return store


def exit_code(argv: list[str]) -> int:
    """Run ``candor ARGV`` in-process; its exit status."""
    try:
        main(argv)
    except SystemExit as exited:
        return int(exited.code or 0)
    return 0


def doctor(capsys: pytest.CaptureFixture[str], *args: str, code: int) -> list[str]:
    """Run ``candor [--config FILE] doctor ARGS``; its lines on standard output."""
    head = list(args[:2]) if args[:1] == ("--config",) else []
    assert exit_code([*head, "doctor", *args[len(head) :]]) == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return captured.out.splitlines()


def line(lines: list[str], subject: str) -> str:
    found = [text for text in lines if text.split(None, 1)[1].startswith(subject + ":")]
    assert len(found) == 1, lines
    return found[0]


class TestEveryCheck:
    def test_a_sound_setup_passes_every_check_and_posts_nothing(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        mastodon: tuple[FakeMastodon, str],
        statuspage: tuple[FakeStatuspage, str],
    ) -> None:
        config = write_config(
            tmp_path, mastodon_channel(mastodon[1]), statuspage_channel(statuspage[1])
        )
        store = with_store(config)
        before = store.read_bytes()
        monkeypatch.setenv("MASTODON_TOKEN", "mastodon-token")
        monkeypatch.setenv("STATUSPAGE_KEY", "statuspage-key")
        lines = doctor(capsys, "--config", str(config), code=0)
        assert line(lines, "config") == f"ok      config: {config.resolve()} (from --config)"
        assert f"{store} opened read-only: 1 incident, 1 open" in line(lines, "store")
        for channel in ("status", "social", "page"):
            assert line(lines, f"channel {channel}, secrets").startswith("ok ")
            assert line(lines, f"channel {channel}, reach").startswith("ok ")
        assert "took the access token" in line(lines, "channel social, reach")
        assert "page page1 read with the API key" in line(lines, "channel page, reach")
        assert lines[-1] == "Every check passed (8)."
        # Harmless reads only, and the store untouched.
        assert [(r.method, r.path) for r in mastodon[0].requests] == [
            ("GET", "/api/v1/apps/verify_credentials")
        ]
        assert [(r.method, r.path) for r in statuspage[0].requests] == [
            ("GET", "/v1/pages/page1/incidents/unresolved")
        ]
        assert not mastodon[0].statuses
        assert not statuspage[0].incidents
        assert store.read_bytes() == before
        assert not (tmp_path / "public").exists()

    def test_the_environment_variable_is_how_cron_names_the_file(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        config = write_config(tmp_path)
        with_store(config)
        monkeypatch.setenv("CANDOR_CONFIG", str(config))
        lines = doctor(capsys, code=0)
        assert line(lines, "config").endswith("(from $CANDOR_CONFIG)")

    def test_json_gives_every_check_and_the_setup(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        config = write_config(tmp_path)
        store = with_store(config)
        assert exit_code(["--json", "--config", str(config), "doctor"]) == 0
        data: dict[str, Any] = json.loads(capsys.readouterr().out)
        assert data["ok"] is True
        assert data["config"] == str(config.resolve())
        assert data["config_from"] == "--config"
        assert data["store"] == str(store)
        assert [(c["check"], c["channel"], c["result"]) for c in data["checks"]] == [
            ("config", None, "ok"),
            ("store", None, "ok"),
            ("secrets", "status", "ok"),
            ("reach", "status", "ok"),
        ]

    def test_an_email_channel_is_reached_without_sending_a_mail(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        server: tuple[Mailbox, int],
        mailbox: Mailbox,
    ) -> None:
        config = write_config(
            tmp_path,
            '[[channels]]\nname = "mail"\nadapter = "email"\nhost = "127.0.0.1"\n'
            f'port = {server[1]}\nsecurity = "none"\nfrom = "status@acme.example"\n'
            'to = ["ops@acme.example"]\nsubscribers = false\n',
        )
        with_store(config)
        lines = doctor(capsys, "--config", str(config), code=0)
        reach = line(lines, "channel mail, reach")
        assert reach.startswith("ok ")
        assert f"127.0.0.1:{server[1]} took the connection; no mail was sent" in reach
        assert mailbox.mails == []


class TestFailures:
    def test_a_missing_secret_names_the_variable_and_skips_the_reach(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        mastodon: tuple[FakeMastodon, str],
    ) -> None:
        config = write_config(tmp_path, mastodon_channel(mastodon[1]))
        with_store(config)
        monkeypatch.delenv("MASTODON_TOKEN", raising=False)
        lines = doctor(capsys, "--config", str(config), code=1)
        secrets = line(lines, "channel social, secrets")
        assert secrets.startswith("FAIL ")
        assert "not set: MASTODON_TOKEN" in secrets
        assert line(lines, "channel social, reach") == (
            "skipped channel social, reach: its secrets are not set"
        )
        assert line(lines, "channel status, reach").startswith("ok ")
        assert lines[-1] == "1 of 6 checks failed."
        assert mastodon[0].requests == []

    def test_a_refused_token_fails_the_reach_in_the_services_words(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        mastodon: tuple[FakeMastodon, str],
    ) -> None:
        config = write_config(tmp_path, mastodon_channel(mastodon[1]))
        with_store(config)
        monkeypatch.setenv("MASTODON_TOKEN", "a-wrong-token")
        lines = doctor(capsys, "--config", str(config), code=1)
        reach = line(lines, "channel social, reach")
        assert reach.startswith("FAIL ")
        assert "401" in reach
        assert "a-wrong-token" not in "\n".join(lines)

    def test_a_service_that_is_not_there_fails_its_reach(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        config = write_config(tmp_path, statuspage_channel(f"http://127.0.0.1:{port}/v1"))
        with_store(config)
        monkeypatch.setenv("STATUSPAGE_KEY", "statuspage-key")
        lines = doctor(capsys, "--config", str(config), code=1)
        assert "ConnectError" in line(lines, "channel page, reach")

    def test_offline_asks_no_service_but_still_checks_the_local_ones(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        mastodon: tuple[FakeMastodon, str],
    ) -> None:
        config = write_config(tmp_path, mastodon_channel(mastodon[1]))
        with_store(config)
        monkeypatch.setenv("MASTODON_TOKEN", "mastodon-token")
        lines = doctor(capsys, "--config", str(config), "--offline", code=0)
        assert line(lines, "channel social, reach") == (
            "skipped channel social, reach: --offline: the service was not asked"
        )
        assert line(lines, "channel status, reach").startswith("ok ")
        assert mastodon[0].requests == []

    def test_a_channel_without_a_harmless_read_says_so(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        config = write_config(
            tmp_path,
            '[[channels]]\nname = "hook"\nadapter = "webhook"\n'
            'url = "http://127.0.0.1:9/hook"\nsecret = "0123456789abcdef0123"\n',
        )
        with_store(config)
        lines = doctor(capsys, "--config", str(config), code=0)
        assert line(lines, "channel hook, reach") == (
            "skipped channel hook, reach: no harmless read: not checked"
        )

    def test_a_missing_store_fails_and_is_not_created(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        config = write_config(tmp_path)
        lines = doctor(capsys, "--config", str(config), code=1)
        store = line(lines, "store")
        assert store.startswith("FAIL ")
        assert f"{tmp_path / 'data' / 'candor.db'} does not exist; nothing was created" in store
        assert not (tmp_path / "data").exists()

    def test_a_file_that_is_not_a_store_fails(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        config = write_config(tmp_path)
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "candor.db").write_bytes(b"not a database at all" * 10)
        lines = doctor(capsys, "--config", str(config), code=1)
        assert "is not a SQLite database" in line(lines, "store")

    def test_the_embedded_default_is_not_a_setup(self, capsys: pytest.CaptureFixture[str]) -> None:
        lines = doctor(capsys, code=1)
        config = line(lines, "config")
        assert config.startswith("FAIL    config: none found")
        assert "--config or $CANDOR_CONFIG" in config
        assert not Path("candor.db").exists()
        assert not Path("site").exists()

    def test_a_configuration_that_does_not_load_fails_and_the_rest_is_skipped(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        broken = tmp_path / "candor.toml"
        broken.write_text("[store\n", encoding="utf-8")
        lines = doctor(capsys, "--config", str(broken), code=1)
        assert line(lines, "config").startswith("FAIL ")
        assert "not valid TOML" in line(lines, "config")
        assert line(lines, "store").startswith("skipped ")


def test_diagnose_is_the_library_side(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    with_store(config)
    setup, checks = diagnose(config, offline=True)
    assert setup is not None
    assert setup.found == "--config"
    assert [c.result for c in checks] == ["ok", "ok", "ok", "ok"]
