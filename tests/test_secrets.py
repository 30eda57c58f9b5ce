"""No secret of a loaded configuration shows anywhere: reprs, dumps, errors, --json, the store.

Canaries are planted in every secret setting of every built-in adapter (read
from the environment, as ``candor.toml`` should have them) and in the settings
of an adapter candor knows nothing about whose keys name credentials; then
everything that shows the configuration, or a failed delivery of it, is
searched for them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import candor
from candor.adapters import registry
from candor.config import Config, load_config, masked_url
from candor.errors import ConfigError, DeliveryError
from candor.masking import reveal
from candor.testing import reset
from candor.testing.fakes import FakeService, Reply, Request, serve
from tests.adapters.settings import SECRET_KEYS, SETTINGS, canaries, canary

ROOT = Path(__file__).resolve().parent.parent

# An adapter candor knows nothing about: no settings model, so only the keys' names
# say which settings are credentials.
MYSTERY = {
    "endpoint": "https://mystery.example",
    "auth_token": canary("mystery", "auth_token"),
    "client_secret": canary("mystery", "client_secret"),
    "db_password": canary("mystery", "db_password"),
    "signing_key": canary("mystery", "signing_key"),
    "extra": {"X-Api-Key": canary("mystery", "x-api-key"), "region": "eu-west"},
}
MYSTERY_CANARIES = [
    canary("mystery", key)
    for key in ("auth_token", "client_secret", "db_password", "signing_key", "x-api-key")
]
ALL_CANARIES = [*canaries(), *MYSTERY_CANARIES]


class MysteryAdapter:
    """A third party's adapter: it fails every post, saying only what it was given to say."""

    capabilities = candor.Capabilities()

    def __init__(self, channel: candor.Channel, *, client: object, base_dir: Path) -> None:
        self.channel = channel

    async def post(self, message: object, context: Any) -> candor.Receipt:
        raise DeliveryError(context.channel, "mystery service unavailable", retryable=False)

    async def aclose(self) -> None:
        return None


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {toml_value(v)}' for k, v in value.items()) + " }"
    return json.dumps(value)


def write_config(folder: Path, base_url: str) -> dict[str, str]:
    """``candor.toml`` with one channel per adapter, secrets from the environment it returns."""
    environ: dict[str, str] = {}
    routed = {
        "webhook": {"url": f"{base_url}/hooks/" + canary("webhook", "url")},
        "statuspage": {"base_url": base_url},
        "cachet": {"base_url": base_url},
        "instatus": {"base_url": base_url},
        "mastodon": {"base_url": base_url},
        "bluesky": {"service": base_url},
        "x": {"base_url": base_url},
    }
    lines = [
        "[organization]",
        'name = "Acme"',
        "[store]",
        'url = "sqlite:///candor.db"',
    ]
    for adapter, settings in SETTINGS.items():
        lines += ["[[channels]]", f'name = "my-{adapter}"', f'adapter = "{adapter}"']
        for key, value in {**settings, **routed.get(adapter, {})}.items():
            if key in SECRET_KEYS.get(adapter, ()) and isinstance(value, str):
                variable = f"{adapter}_{key}".upper()
                environ[variable] = value
                value = "${" + variable + "}"
            lines.append(f"{key} = {toml_value(value)}")
    lines += ["[[channels]]", 'name = "my-mystery"', 'adapter = "mystery"']
    lines += [f"{key} = {toml_value(value)}" for key, value in MYSTERY.items()]
    (folder / "candor.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return environ


def install_mystery(site: Path) -> None:
    info = site / "candor_mystery-0.dist-info"
    info.mkdir(parents=True)
    info.joinpath("METADATA").write_text(
        "Metadata-Version: 2.1\nName: candor-mystery\nVersion: 0\n"
    )
    info.joinpath("entry_points.txt").write_text(
        "[candor.adapters]\nmystery = tests.test_secrets:MysteryAdapter\n"
    )


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The mystery adapter, installed as a plugin is: an entry point on the path."""
    site = tmp_path / "site-packages"
    install_mystery(site)
    monkeypatch.syspath_prepend(str(site))
    reset()  # the entry points are read again, with the plugin's
    yield site
    reset()


class Echo(FakeService):
    """A service that refuses everything and quotes back all it was sent: URL, headers, body."""

    def route(self, request: Request) -> Reply:
        said = {
            "path": request.path,
            "query": dict(request.query),
            "headers": dict(request.headers),
            "body": request.body.decode("utf-8", "replace"),
        }
        return Reply.json(401, {"error": json.dumps(said)})


def leaks(text: str) -> list[str]:
    return [secret for secret in ALL_CANARIES if secret in text]


@pytest.fixture
def loaded(tmp_path: Path, plugins: Path) -> Config:
    environ = write_config(tmp_path, "https://service.example")
    return load_config(tmp_path / "candor.toml", environ=environ)


class TestTheLoadedConfiguration:
    def test_every_canary_is_planted_and_reaches_the_settings(self, loaded: Config) -> None:
        held = json.dumps([reveal(dict(c.settings)) for c in loaded.channels])
        assert leaks(held) == ALL_CANARIES

    def test_no_repr_or_str_shows_a_secret(self, loaded: Config) -> None:
        shown = [repr(loaded), str(loaded)]
        for channel in loaded.channels:
            shown += [repr(channel), str(channel), repr(channel.settings), str(channel.settings)]
        assert leaks("\n".join(shown)) == []

    def test_no_dump_shows_a_secret(self, loaded: Config) -> None:
        shown = [json.dumps(loaded.dump())]
        for channel in loaded.channels:
            shown += [
                channel.model_dump_json(),
                json.dumps(channel.model_dump(mode="json")),
                str(channel.model_dump()),
            ]
        assert leaks("\n".join(shown)) == []

    def test_the_dump_masks_each_secret_setting(self, loaded: Config) -> None:
        channels = {c["name"]: c["settings"] for c in loaded.dump()["channels"]}
        for adapter, keys in SECRET_KEYS.items():
            for key in keys:
                shown = channels[f"my-{adapter}"][key]
                if isinstance(shown, dict):  # the webhook's headers: each value a credential
                    shown = "".join(set(shown.values()))
                assert shown == "**********", (adapter, key)
        assert channels["my-mystery"]["endpoint"] == "https://mystery.example"
        assert channels["my-mystery"]["extra"] == {"X-Api-Key": "**********", "region": "eu-west"}

    def test_the_adapters_built_from_it_show_no_secret(
        self, loaded: Config, tmp_path: Path
    ) -> None:
        shown = []
        for channel in loaded.channels:
            adapter = registry.load(channel.adapter)(
                channel, client=httpx.AsyncClient(), base_dir=tmp_path
            )
            shown += [repr(adapter), str(adapter), repr(vars(adapter).get("settings"))]
        assert leaks("\n".join(shown)) == []

    def test_a_bad_setting_beside_secrets_is_an_error_without_them(self, tmp_path: Path) -> None:
        channel = candor.Channel(
            name="m", adapter="mastodon", settings={**SETTINGS["mastodon"], "visibility": "loud"}
        )
        with pytest.raises(ConfigError) as raised:
            registry.load("mastodon")(channel, client=httpx.AsyncClient(), base_dir=tmp_path)
        assert raised.value.key == "visibility"
        assert leaks(f"{raised.value!s} {raised.value!r} {raised.value.args}") == []

    def test_a_password_in_the_store_url_is_masked(self, tmp_path: Path) -> None:
        url = "postgresql://candor:" + canary("store", "password") + "@db.example:5432/candor"
        config = Config(base_dir=tmp_path, store_url=url)
        assert masked_url(url) == "postgresql://candor:**********@db.example:5432/candor"
        assert canary("store", "password") not in repr(config) + json.dumps(config.dump())


class TestFailedDeliveries:
    def test_no_secret_in_the_cli_output_the_logs_or_the_store(
        self, tmp_path: Path, plugins: Path
    ) -> None:
        echo = Echo(specs=False, rate_limit=None)
        with serve(echo) as base_url:
            environ = write_config(tmp_path, base_url)
            env = {
                **{k: v for k, v in os.environ.items() if k != "CANDOR_CONFIG"},
                **environ,
                "PYTHONPATH": os.pathsep.join([str(plugins), str(ROOT)]),
            }
            cli = [sys.executable, "-c", "from candor.cli import main; main()"]

            def run(*args: str) -> subprocess.CompletedProcess[str]:
                return subprocess.run(
                    [*cli, *args],
                    cwd=tmp_path,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=180,
                    check=False,
                )

            config = run("--json", "config")
            opened = run(
                "-vv",
                "--json",
                "open",
                "Checkout API down",
                "-c",
                "Checkout API",
                "-m",
                "Checkout fails for every customer; we are on it.",
            )
            listed = run("--json", "list")
        assert config.returncode == 0, config.stderr
        assert opened.returncode != 0  # every channel but the page and the console failed
        outputs = [config.stdout, config.stderr, opened.stdout, opened.stderr, listed.stdout]
        assert leaks("\n".join(outputs)) == []
        # The services were sent the secrets (they echoed them back) ...
        sent = json.dumps([[r.path, dict(r.headers), r.body.decode()] for r in echo.requests])
        assert canary("mastodon", "access_token") in sent
        assert canary("webhook", "url") in sent
        # ... and the refusals quoting them were recorded, without them.
        failed = json.loads(opened.stdout)
        assert "my-mastodon" in json.dumps(failed)
        store = (tmp_path / "candor.db").read_bytes()
        assert [secret for secret in ALL_CANARIES if secret.encode() in store] == []
