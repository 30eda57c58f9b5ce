"""One channel's missing secret blocks only that channel (issue: right by default).

A channel whose settings name an environment variable that is not set is
*unconfigured*: commands that do not deliver work as usual, an update goes to
every channel it can reach and is recorded as owed to that one, loudly (exit 4,
the table names it), and ``candor deliver`` catches it up once the variable is
set. The channels here are real: a webhook receiver on 127.0.0.1 and the static
site written to a folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import candor
from candor.cli import main
from candor.config import load_config
from candor.testing import reset
from tests.receiver import Receiver, serving

SECRET = "CANDOR_TEST_HOOK_SECRET"

CONFIG = f"""
[[channels]]
name = "status"
adapter = "static_site"
path = "site"

[[channels]]
name = "ops"
adapter = "webhook"
audience = "internal"
url = "${{CANDOR_TEST_HOOK_URL}}"
secret = "${{{SECRET}}}"
"""


@pytest.fixture(autouse=True)
def _in_empty_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CANDOR_CONFIG", raising=False)
    monkeypatch.delenv(SECRET, raising=False)
    (tmp_path / "candor.toml").write_text(CONFIG, encoding="utf-8")
    yield
    reset()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with serving(Receiver()) as (server,):
        monkeypatch.setenv("CANDOR_TEST_HOOK_URL", server.url)
        yield server


def cli(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> tuple[str, str]:
    if code == 0:
        main(list(args))
    else:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        assert exited.value.code == code
    captured = capsys.readouterr()
    return captured.out, captured.err


OPEN = ("open", "API failing", "-c", "API", "-m", "Requests to the API fail with 503 errors.")


class TestLoading:
    def test_a_channel_naming_an_unset_variable_loads_unconfigured(
        self, receiver: Receiver
    ) -> None:
        config = load_config("candor.toml", environ={"CANDOR_TEST_HOOK_URL": receiver.url})
        channels = {c.name: c for c in config.channels}
        assert channels["ops"].unset == (SECRET,)
        assert channels["ops"].unconfigured == f"environment variable {SECRET} is not set"
        assert channels["status"].unset == ()

    def test_a_mistake_beside_the_unset_variable_is_still_named(self, tmp_path: Path) -> None:
        path = tmp_path / "typo.toml"
        path.write_text(
            '[[channels]]\nname = "ops"\nadapter = "webhook"\nurl = "http://127.0.0.1:9/hook"\n'
            f'secret = "${{{SECRET}}}"\ntimeout_s = 3\n',
            encoding="utf-8",
        )
        with pytest.raises(candor.ConfigError) as caught:
            load_config(path, environ={})
        assert caught.value.channel == "ops"
        assert caught.value.key == "timeout_s"

    def test_an_unset_variable_outside_the_channels_is_still_an_error(self, tmp_path: Path) -> None:
        path = tmp_path / "store.toml"
        path.write_text('[store]\nurl = "${CANDOR_TEST_STORE}"\n', encoding="utf-8")
        with pytest.raises(candor.ConfigError, match="CANDOR_TEST_STORE is not set"):
            load_config(path, environ={})


class TestCommands:
    def test_commands_that_do_not_deliver_never_need_the_secret(
        self, capsys: pytest.CaptureFixture[str], receiver: Receiver
    ) -> None:
        with candor.Communicator(channels=[], store=Path("candor.db")):
            pass  # an empty store: the commands below read one and never create it
        out, err = cli(capsys, "list")
        assert out.strip() == "No incidents."
        assert f"channel='ops' unset=['{SECRET}']" in err  # said on standard error
        cli(capsys, "overdue")
        cli(capsys, "config")
        cli(capsys, "preview", "--title", "API failing", "-c", "API", "-m", "It fails.")

    def test_an_update_reaches_what_it_can_and_owes_the_unconfigured_channel_loudly(
        self, capsys: pytest.CaptureFixture[str], receiver: Receiver, tmp_path: Path
    ) -> None:
        out, err = cli(capsys, *OPEN, code=4)
        row = next(line for line in out.splitlines() if line.startswith("ops "))
        assert "not configured" in row
        assert SECRET in row
        assert " sent " in next(line for line in out.splitlines() if line.startswith("status "))
        assert f"owed to channels not configured: ops (environment variable {SECRET}" in err
        assert "candor deliver" in err
        assert (tmp_path / "site" / "index.html").is_file()
        assert receiver.requests == []

    def test_json_names_the_unconfigured_channel(
        self, capsys: pytest.CaptureFixture[str], receiver: Receiver
    ) -> None:
        out, _ = cli(capsys, "--json", *OPEN, code=4)
        delivery = json.loads(out)["delivery"]
        assert delivery["unconfigured"] == ["ops"]
        assert delivery["sent"] == ["status"]

    def test_deliver_catches_the_channel_up_once_the_secret_is_set(
        self,
        capsys: pytest.CaptureFixture[str],
        receiver: Receiver,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        opened, _ = cli(capsys, "--json", *OPEN, code=4)
        incident_id = json.loads(opened)["id"]
        cli(capsys, "update", incident_id, "--status", "identified", "-m", "Found it.", code=4)
        still, err = cli(capsys, "--json", "deliver", code=4)
        assert {row["channel"] for row in json.loads(still)} == {"ops"}
        assert "not configured" in err

        monkeypatch.setenv(SECRET, "0123456789abcdef0123")
        caught_up, _ = cli(capsys, "--json", "deliver")
        rows = json.loads(caught_up)
        assert [(r["channel"], r["seq"], r["state"]) for r in rows] == [
            ("ops", 1, "sent"),
            ("ops", 2, "sent"),
        ]
        assert [r.json["update"]["seq"] for r in receiver.requests] == [1, 2]
        shown, _ = cli(capsys, "--json", "show", incident_id)
        assert {d["state"] for d in json.loads(shown)["deliveries"]} == {"sent"}


class TestFacade:
    def test_the_communicator_names_what_is_unconfigured_and_delivers_the_rest(
        self, receiver: Receiver
    ) -> None:
        with candor.Communicator.from_config("candor.toml") as comms:
            assert comms.unconfigured == {"ops": f"environment variable {SECRET} is not set"}
            assert "ops" not in comms.adapters
            assert comms.capabilities["ops"].form is candor.adapters.Form.LONG
            incident = comms.open("API failing", {"components": ["API"]}, "Requests fail.")
        states = {d.channel: d.state.value for d in incident.deliveries}
        assert states == {"status": "sent", "ops": "pending"}
