"""candor.toml: every mistake is named with its file, channel and key, before anything runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

import candor
from candor.config import default_config, load_config, starter_config
from candor.testing import Clock

GOOD = """
[organization]
name = "Acme"
status_page_url = "https://status.acme.example"
timezone = "Europe/Paris"

[store]
url = "sqlite:///state/candor.db"

[policy]
cadence = { critical = "15m", minor = "2h" }
partial_is_full = true

[[channels]]
name = "status"
adapter = "static_site"
path = "public"

[[channels]]
name = "console"
adapter = "console"
audience = "internal"
stream = "${CANDOR_STREAM}"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "candor.toml"
    path.write_text(text, encoding="utf-8")
    return path


class TestLoading:
    def test_a_full_file_is_read(self, tmp_path: Path) -> None:
        config = load_config(write(tmp_path, GOOD), environ={"CANDOR_STREAM": "stderr"})
        assert config.organization.name == "Acme"
        assert config.organization.timezone == "Europe/Paris"
        assert config.store_url == "sqlite:///state/candor.db"
        assert config.policy.cadence[candor.Impact.CRITICAL] == timedelta(minutes=15)
        assert config.policy.cadence[candor.Impact.MAJOR] == timedelta(minutes=30)
        assert [c.name for c in config.channels] == ["status", "console"]
        assert config.channels[1].settings == {"stream": "stderr"}
        assert config.channels[1].audience == "internal"
        assert config.base_dir == tmp_path.resolve()

    def test_secrets_come_from_the_environment(self, tmp_path: Path) -> None:
        config = load_config(write(tmp_path, GOOD), environ={"CANDOR_STREAM": "stdout"})
        assert config.channels[1].settings["stream"] == "stdout"

    def test_no_file_anywhere_is_the_embedded_default(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        config = load_config(environ={})
        assert config.path is None
        assert config.store_url == "sqlite:///candor.db"
        assert [c.adapter for c in config.channels] == ["static_site", "console"]

    def test_candor_toml_in_the_working_directory_is_found(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        write(tmp_path, '[organization]\nname = "Found"\n')
        monkeypatch.chdir(tmp_path)
        assert load_config(environ={}).organization.name == "Found"

    def test_candor_config_names_the_file(self, tmp_path: Path) -> None:
        path = write(tmp_path, '[organization]\nname = "Env"\n')
        assert load_config(environ={"CANDOR_CONFIG": str(path)}).organization.name == "Env"

    def test_the_starter_file_loads_and_matches_the_default_channels(self, tmp_path: Path) -> None:
        config = load_config(write(tmp_path, starter_config()), environ={})
        assert [c.adapter for c in config.channels] == [
            c.adapter for c in default_config().channels
        ]


class TestMistakesAreNamed:
    @pytest.mark.parametrize(
        ("text", "channel", "key", "words"),
        [
            ("[organisation]\nname='x'\n", None, "organisation", "unknown section"),
            ("[store]\nuri='x'\n", None, "store.uri", "unknown key"),
            ("[store]\nurl=3\n", None, "store.url", "string"),
            ("[organization]\ntimezone='Mars/Olympus'\n", None, "organization.timezone", "zone"),
            ("[organization]\nnmae='x'\n", None, "organization.nmae", "unknown"),
            ("[policy]\ncadence={minor='soon'}\n", None, "policy.cadence", "duration"),
            ("[policy]\npartial_is_fool=true\n", None, "policy.partial_is_fool", "unknown"),
            ("[[channels]]\nadapter='console'\n", None, "channels[0].name", "name"),
            ("[[channels]]\nname='a'\n", "a", "adapter", "required"),
            ("[[channels]]\nname='a'\nadapter='pigeon'\n", "a", "adapter", "pigeon"),
            ("[[channels]]\nname='a'\nadapter='console'\naudience='all'\n", "a", "audience", ""),
            ("[[channels]]\nname='a'\nadapter='console'\n[[channels]]\nname='a'\n"
             "adapter='console'\n", "a", "name", "two channels"),
            ("[[channels]]\nname='a'\nadapter='console'\ntoken='${NOT_SET}'\n", "a", "token",
             "unknown setting"),
            ("[http]\ntransport='h2'\n", None, "http.transport", "'candor' (candor's fan-out"),
            ("[http]\ntransport='h2'\n", None, "http.transport", "or 'httpx'"),
            ("[http]\nversion=2\n", None, "http.version", "known: allow_link_local, allow_"),
            ("[http]\nhttp2=true\n", None, "http.http2", "set transport = 'httpx'"),
            ("[http]\ntransport='httpx'\nhttp2='yes'\n", None, "http.http2", "true or false"),
            ("[http]\nclient_cert=3\n", None, "http.client_cert", "a path"),
            ("[http]\nclient_key='k.pem'\n", None, "http.client_key", "needs its client_cert"),
            ("http='httpx'\n", None, "http", "must be a table"),
            ("[templates]\ntimeout=0\n", None, "templates.timeout", "greater than 0"),
            ("[templates]\nmax_output='lots'\n", None, "templates.max_output", "integer"),
            ("[templates]\nspeed=1\n", None, "templates.speed", "known: max_output, path"),
        ],
    )  # fmt: skip
    def test_the_error_names_file_channel_and_key(
        self, tmp_path: Path, text: str, channel: str | None, key: str, words: str
    ) -> None:
        path = write(tmp_path, text)
        with pytest.raises(candor.ConfigError) as caught:
            load_config(path, environ={})
        error = caught.value
        assert error.path == str(path)
        assert error.channel == channel
        assert error.key == key
        assert str(path) in str(error)
        assert words in str(error)

    def test_template_limits_are_read(self, tmp_path: Path) -> None:
        path = write(tmp_path, "[templates]\ntimeout = 5\nmax_output = 200000\n")
        config = load_config(path, environ={})
        assert config.template_limits == candor.TemplateLimits(timeout=5.0, max_output=200_000)
        assert config.dump()["templates"] == {"path": None, "timeout": 5.0, "max_output": 200_000}
        assert load_config(write(tmp_path, ""), environ={}).template_limits.timeout == 2.0

    def test_invalid_toml_names_the_file(self, tmp_path: Path) -> None:
        path = write(tmp_path, "[store\n")
        with pytest.raises(candor.ConfigError, match="not valid TOML"):
            load_config(path, environ={})

    def test_a_missing_file_is_named(self, tmp_path: Path) -> None:
        with pytest.raises(candor.ConfigError, match="no such file"):
            load_config(tmp_path / "nope.toml", environ={})

    def test_unknown_adapter_settings_fail_when_the_communicator_is_built(
        self, tmp_path: Path
    ) -> None:
        path = write(tmp_path, "[[channels]]\nname='out'\nadapter='console'\ncolour='red'\n")
        with pytest.raises(candor.ConfigError) as caught:
            candor.Communicator.from_config(path)
        assert caught.value.path == str(path)
        assert caught.value.channel == "out"
        assert caught.value.key == "colour"
        assert not (tmp_path / "candor.db").exists()


class TestFromConfig:
    @pytest.mark.parametrize(
        ("section", "transport"),
        [("", "FanoutTransport"), ("[http]\ntransport = 'candor'\n", "FanoutTransport"),
         ("[http]\ntransport = 'httpx'\n", "AsyncHTTPTransport")],
    )  # fmt: skip
    def test_http_transport_chooses_the_default_clients_transport(
        self, tmp_path: Path, section: str, transport: str
    ) -> None:
        path = write(tmp_path, section)
        comms = candor.AsyncCommunicator.from_config(path)
        try:
            assert type(comms.client._transport).__name__ == transport
        finally:
            asyncio.run(comms.aclose())

    def test_relative_paths_are_relative_to_the_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock
    ) -> None:
        folder = tmp_path / "ops"
        folder.mkdir()
        monkeypatch.setenv("CANDOR_STREAM", "stderr")
        monkeypatch.chdir(tmp_path)
        with candor.Communicator.from_config(write(folder, GOOD), clock=clock) as comms:
            incident = comms.open(
                "API failing", {"components": ["API"], "affected_fraction": 0.5}, "Fails."
            )
        assert (folder / "state" / "candor.db").is_file()
        assert (folder / "public" / "index.html").is_file()
        assert incident.next_update_by == clock.now + timedelta(minutes=15)
