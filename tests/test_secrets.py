"""No secret of a loaded configuration shows anywhere: reprs, dumps, errors, --json, the store.

Canaries are planted in every secret setting of every built-in adapter (read
from the environment, as ``candor.toml`` should have them) and in the settings
of an adapter candor knows nothing about whose keys name credentials; then
everything that shows the configuration, or a failed delivery of it, is
searched for them. :class:`TestEchoingReceivers` points every adapter that posts
over HTTP at receivers that echo the whole request back, under every kind of
failure, and searches for every piece of every secret.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import candor
from candor.adapters import registry
from candor.cli import main
from candor.config import Config, load_config, masked_url
from candor.errors import ConfigError, DeliveryError
from candor.log import register_secret
from candor.masking import reveal, secret_parts
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


# -- receivers that echo the request back ------------------------------------------------

HOST = "canary-hook-host-7f3a9c2e.test"
"""The webhook's host name: secret with its URL, resolved to 127.0.0.1 for the test."""
USER = "hookuser"
PASSWORD = canary("webhook", "password")
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
PATH = "/services/T0001/B0001/" + canary("webhook", "path")
QUERY = "token=" + canary("webhook", "query")

ECHO_FORBIDDEN = [*canaries(), PASSWORD, BASIC, HOST, PATH, QUERY, f"{USER}:{PASSWORD}"]


class EchoingReceiver:
    """A server on 127.0.0.1 that fails every request the way ``kind`` says, echoing it back."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.requests: list[dict[str, Any]] = []
        echo = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", "0") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                headers = {name: value for name, value in self.headers.items()}
                echo.requests.append({"path": self.path, "headers": headers, "body": body})
                if echo.kind == "timeout":
                    time.sleep(0.6)  # past every channel's 0.2 s timeout
                # The headers first, credentials first: what a quote of 300 characters keeps.
                quoted = " ".join(
                    f"{name}: {value}"
                    for name, value in sorted(
                        headers.items(), key=lambda item: item[0].lower() != "authorization"
                    )
                )
                said = f"Cannot {self.command} {self.path} {quoted} {body}"
                status = {"refused": 404, "server": 500, "limited": 429, "timeout": 500}[echo.kind]
                phrase = f"Cannot {self.command} {self.path}"
                if echo.kind == "server":
                    payload = json.dumps({"error": said}).encode()
                    kind = "application/json"
                else:
                    payload, kind = said.encode(), "text/plain"
                self.send_response(status, phrase)
                self.send_header("Content-Type", kind)
                if echo.kind == "limited":
                    self.send_header("Retry-After", "7200")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def __enter__(self) -> EchoingReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_echo_config(folder: Path, port: int) -> dict[str, str]:
    """Every HTTP adapter pointed at 127.0.0.1:``port``; the secrets come from the environment."""
    base = f"http://127.0.0.1:{port}"
    routed: dict[str, dict[str, Any]] = {
        "webhook": {
            "url": f"http://{USER}:{PASSWORD}@{HOST}:{port}{PATH}?{QUERY}",
            "receiver_deduplicates": True,
        },
        "statuspage": {"base_url": base},
        "cachet": {"base_url": base},
        "instatus": {"base_url": base},
        "mastodon": {"base_url": base, "max_characters": 500},
        "bluesky": {"service": base},
        "x": {"base_url": base},
    }
    environ: dict[str, str] = {}
    lines = ["[organization]", 'name = "Acme"', "[store]", 'url = "sqlite:///candor.db"']
    for adapter, settings in routed.items():
        lines += ["[[channels]]", f'name = "my-{adapter}"', f'adapter = "{adapter}"']
        for key, value in {**SETTINGS[adapter], **settings, "timeout": 0.2}.items():
            if key in SECRET_KEYS.get(adapter, ()) and isinstance(value, str):
                variable = f"{adapter}_{key}".upper()
                environ[variable] = value
                value = "${" + variable + "}"
            lines.append(f"{key} = {toml_value(value)}")
    (folder / "candor.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return environ


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    """The webhook's host name resolves to 127.0.0.1, through the resolver every lookup uses."""
    real = socket.getaddrinfo

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode()
        return real("127.0.0.1" if host == HOST else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)


@pytest.fixture
def fresh_state() -> Iterator[None]:
    reset()
    yield
    reset()


def echo_leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [secret for secret in ECHO_FORBIDDEN if secret.lower() in lowered]


def run_cli(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str]:
    """One CLI run as its own process would start: fresh state, its output and log lines."""
    reset()
    try:
        main(list(arguments))
        code = 0
    except SystemExit as exit:
        code = int(exit.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + "\n" + captured.err


class TestEchoingReceivers:
    """Receivers that echo the request back: no secret, nor any piece of one, comes out of candor.

    Many frameworks answer a request they cannot route with "404 Cannot POST
    /services/T000/B000/XXXX"; careless services quote the headers they were sent.
    Every adapter that posts over HTTP is pointed at a real server on 127.0.0.1 that
    echoes the path, the query, every header and the body, in the status line and
    in the body, under every kind of failure: a refusal (4xx), a server error (5xx),
    a rate limit, a read timeout, and a connection refused (whose message names the
    host and port). The webhook's URL carries a canary in its host name, its
    user info (sent as ``Authorization: Basic``), its path and its query.

    Each failure runs the CLI as an operator does (``open`` with its progress lines,
    ``--json update``, ``deliver``, ``show``, ``--json show``, ``list``), each run
    starting from a fresh process state (``candor.testing.reset``), and then searches
    standard output, standard error (the log lines, at ``-vv``), the library's own
    log records, and every byte of the store for each canary, the base64 of the
    user info, and each piece of the webhook URL.
    """

    @pytest.mark.parametrize("kind", ["refused", "server", "limited", "timeout", "unreachable"])
    def test_no_piece_of_a_secret_leaves_candor_whatever_the_receiver_echoes(
        self,
        kind: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
        resolver: None,
        fresh_state: None,
    ) -> None:
        caplog.set_level("DEBUG")
        monkeypatch.chdir(tmp_path)
        with EchoingReceiver("refused" if kind == "unreachable" else kind) as echo:
            port = free_port() if kind == "unreachable" else echo.port
            for name, value in write_echo_config(tmp_path, port).items():
                monkeypatch.setenv(name, value)
            seen: list[str] = []
            code, out = run_cli(capsys, "-vv", "open", "API down", "-c", "API", "-m", "API fails.")
            seen.append(out)
            assert code != 0, out  # every channel failed
            code, out = run_cli(capsys, "-vv", "--json", "update", "--status", "identified", "-m",
                            "The cause is known.", _incident(tmp_path))  # fmt: skip
            seen.append(out)
            for arguments in (
                ["-vv", "deliver", "--force"],
                ["-vv", "--json", "deliver", "--force"],
                ["show", _incident(tmp_path)],
                ["--json", "show", _incident(tmp_path)],
                ["--json", "list"],
                ["list"],
            ):
                seen.append(run_cli(capsys, *arguments)[1])
        seen.append(caplog.text)
        shown = "\n".join(seen)
        if kind != "unreachable":
            # The services were sent the secrets (they echoed them back) ...
            sent = json.dumps(echo.requests)
            assert BASIC in sent
            assert canary("webhook", "path") in sent
            assert canary("mastodon", "access_token") in sent
        # ... every channel's failure was reported ...
        for adapter in ("webhook", "statuspage", "cachet", "instatus", "mastodon", "bluesky", "x"):
            assert f"my-{adapter}" in shown
        assert "**********" in shown
        # ... and none of them, in any form, reached an output, a log line or the store.
        assert echo_leaks(shown) == []
        store = b"".join(path.read_bytes() for path in tmp_path.glob("candor.db*"))
        assert b"API fails." in store  # the store was written, and is what we search
        assert echo_leaks(store.decode("utf-8", "replace")) == []


def _incident(folder: Path) -> str:
    import sqlite3

    with sqlite3.connect(folder / "candor.db") as db:
        (incident_id,) = db.execute("SELECT id FROM incidents LIMIT 1").fetchone()
    return str(incident_id)


class TestEveryPieceIsRegistered:
    """The pieces of a secret that come back alone, and the places that mask them."""

    def test_a_url_gives_its_host_path_tails_query_user_info_and_basic_form(self) -> None:
        url = "https://bob:pa%40ss-7f3a9c@hooks.example.com:8443/services/T01/B02/tok3n9?sig=abc123&x=1"
        parts = set(secret_parts(url))
        basic = base64.b64encode(b"bob:pa@ss-7f3a9c").decode()
        for piece in (
            url, "hooks.example.com", "hooks.example.com:8443", "/services/T01/B02/tok3n9",
            "/B02/tok3n9", "/tok3n9", "tok3n9", "sig=abc123&x=1", "abc123", "bob:pa%40ss-7f3a9c",
            "bob:pa@ss-7f3a9c", "pa%40ss-7f3a9c", "pa@ss-7f3a9c", basic, f"Basic {basic}",
        ):  # fmt: skip
            assert piece in parts, piece
        assert "services" not in parts  # an ordinary word alone is never masked
        assert not [part for part in parts if len(part) < 6]

    def test_a_token_is_masked_as_oauth_and_form_bodies_encode_it_too(self) -> None:
        # X's OAuth 1.0a header carries the access token percent-encoded (RFC 5849 3.6).
        parts = set(secret_parts("tok/en+with=chars 9"))
        assert {"tok%2Fen%2Bwith%3Dchars%209", "tok%2Fen%2Bwith%3Dchars+9"} <= parts

    def test_a_header_gives_its_credential(self) -> None:
        assert "tok-123456" in secret_parts("Bearer tok-123456")
        basic = base64.b64encode(b"user:hunter22").decode()
        assert {basic, "user:hunter22", "hunter22"} <= set(secret_parts(f"Basic {basic}"))

    def test_a_url_with_a_password_is_a_secret_whatever_its_key(self) -> None:
        channel = candor.Channel(
            name="s", adapter="statuspage", settings={"base_url": "https://u:pw-7f3a9c@api.example"}
        )
        assert "pw-7f3a9c" not in repr(channel) + channel.model_dump_json()

    def test_every_delivery_error_masks_what_is_registered_whoever_raised_it(self) -> None:
        reset()
        register_secret("/services/T01/B02/secret-7f3a9c")
        error = DeliveryError("hook", "HTTP 404: Cannot POST /services/T01/B02/secret-7f3a9c")
        assert "secret-7f3a9c" not in f"{error} {error.reason} {error!r}"
        reset()

    def test_a_receipt_masks_a_service_that_answers_with_the_secret(self) -> None:
        reset()
        register_secret("https://hooks.example.com/services/T01/B02/secret-7f3a9c")
        receipt = candor.Receipt(
            channel="hook",
            remote_id="r-1",
            url="https://hooks.example.com/services/T01/B02/secret-7f3a9c",
        )
        assert receipt.url == "**********"
        assert receipt.remote_id == "r-1"
        reset()

    def test_loading_the_file_registers_a_plugins_secrets_before_any_adapter_is_made(
        self, tmp_path: Path, plugins: Path
    ) -> None:
        reset()
        environ = write_config(tmp_path, "https://service.example")
        load_config(tmp_path / "candor.toml", environ=environ)
        # The plugin quotes its own setting back in an error: masked all the same.
        echoed = DeliveryError("my-mystery", "refused " + canary("mystery", "auth_token"))
        assert canary("mystery", "auth_token") not in str(echoed)
