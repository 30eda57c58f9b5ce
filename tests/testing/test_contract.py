"""Every built-in adapter passes AdapterContract, which catches an adapter that does not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

import candor
from candor.adapters.base import Adapter, Capabilities, Channel
from candor.adapters.bluesky import BlueskyAdapter
from candor.adapters.console import ConsoleAdapter
from candor.adapters.mastodon import MastodonAdapter
from candor.adapters.static_site import STATE_FILE, StaticSiteAdapter
from candor.adapters.webhook import WebhookAdapter
from candor.adapters.x import XAdapter
from candor.testing import MemoryAdapter, capabilities_for
from candor.testing.contract import AdapterContract, FailureKind
from candor.testing.fakes import (
    FakeBluesky,
    FakeCachet,
    FakeInstatus,
    FakeMastodon,
    FakeService,
    FakeStatuspage,
    FakeWebhook,
    FakeX,
)


class TestConsoleContract(AdapterContract):
    @pytest.fixture(autouse=True)
    def _output(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.printed = ""

    def make_adapter(self, tmp_path: Path) -> Adapter:
        channel = Channel(name=self.channel, adapter="console")
        return ConsoleAdapter(channel, client=httpx.AsyncClient(), base_dir=tmp_path)

    def service_posts(self, adapter: Adapter) -> list[str]:
        self.printed += self.capsys.readouterr().out
        blocks = self.printed.split(f"── {self.channel} · ")[1:]
        return [block.split("\n", 1)[1].rstrip("\n") for block in blocks]


class TestStaticSiteContract(AdapterContract):
    def make_adapter(self, tmp_path: Path) -> Adapter:
        channel = Channel(name=self.channel, adapter="static_site", settings={"path": "site"})
        return StaticSiteAdapter(channel, client=httpx.AsyncClient(), base_dir=tmp_path)

    def service_posts(self, adapter: Adapter) -> list[str]:
        assert isinstance(adapter, StaticSiteAdapter)
        state = json.loads((adapter.folder / STATE_FILE).read_text(encoding="utf-8"))
        entries = [
            (incident_id, entry["seq"], entry["text"])
            for incident_id, incident in state["incidents"].items()
            for entry in incident["updates"].values()
        ]
        return [text for *_, text in sorted(entries)]

    def induce_failure(self, adapter: Adapter, kind: FailureKind) -> bool:
        assert isinstance(adapter, StaticSiteAdapter)
        if kind != "server":
            return False  # a folder has no credentials to refuse and no request to time out
        shutil.rmtree(adapter.folder, ignore_errors=True)
        adapter.folder.parent.mkdir(parents=True, exist_ok=True)
        adapter.folder.write_text("a file where the site should be")
        return True


class TestMemoryContract(AdapterContract):
    capabilities = capabilities_for("memory")

    def make_adapter(self, tmp_path: Path) -> Adapter:
        return MemoryAdapter(self.channel, capabilities=self.capabilities)

    def service_posts(self, adapter: Adapter) -> list[str]:
        assert isinstance(adapter, MemoryAdapter)
        return adapter.texts

    def induce_failure(self, adapter: Adapter, kind: FailureKind) -> bool:
        assert isinstance(adapter, MemoryAdapter)
        status = {"auth": 401, "validation": 422, "server": 503, "timeout": None}[kind]
        adapter.fail_next(status_code=status)
        return True


class TestMemoryAsMastodonContract(TestMemoryContract):
    capabilities = capabilities_for("mastodon")


class TestMemoryAsXContract(TestMemoryContract):
    capabilities = capabilities_for("x")


class TestMemoryAsBlueskyContract(TestMemoryContract):
    capabilities = capabilities_for("bluesky")


class TestWebhookContract(AdapterContract):
    """The signed webhook, against the fake receiver that checks every signature."""

    secrets = ("contract-secret-0123456789", "token-in-the-url-5f1e")

    def make_adapter(self, tmp_path: Path) -> Adapter:
        self.receiver = FakeWebhook(secret=self.secrets[0], path="/hooks/token-in-the-url-5f1e")
        channel = Channel(
            name=self.channel,
            adapter="webhook",
            settings={
                "url": f"{FakeWebhook.base_url}/hooks/token-in-the-url-5f1e",
                "secret": self.secrets[0],
            },
        )
        client = httpx.AsyncClient(transport=self.receiver.transport())
        return WebhookAdapter(channel, client=client, base_dir=tmp_path)

    def service_posts(self, adapter: Adapter) -> list[str]:
        return [delivery["message"]["text"] for delivery in self.receiver.deliveries]

    def induce_failure(self, adapter: Adapter, kind: FailureKind) -> bool:
        if kind == "auth":
            self.receiver.secret = "another-secret-entirely"  # every signature is now wrong
        elif kind == "validation":
            self.receiver.fail_next(status=400)
        elif kind == "server":
            self.receiver.fail_next(status=503)
        else:
            self.receiver.timeout_next()
        return True


class StatusPageContract(AdapterContract):
    """Shared hooks of the status-page adapters: each fake's faults on demand."""

    fake: FakeStatuspage | FakeCachet | FakeInstatus

    def induce_failure(self, adapter: Adapter, kind: FailureKind) -> bool:
        if kind == "timeout":
            self.fake.timeout_next()
        else:
            self.fake.fail_next(status={"auth": 401, "validation": 422, "server": 503}[kind])
        return True


class TestStatuspageContract(StatusPageContract):
    secrets = ("statuspage-contract-key",)

    def make_adapter(self, tmp_path: Path) -> Adapter:
        from candor.adapters.statuspage import StatuspageAdapter

        self.fake = FakeStatuspage(api_key=self.secrets[0], rate_limit=None)
        channel = Channel(
            name=self.channel,
            adapter="statuspage",
            settings={"page_id": "page1", "api_key": self.secrets[0], "components": {"API": "c1"}},
        )
        return StatuspageAdapter(channel, client=self.fake.client(), base_dir=tmp_path)

    def service_posts(self, adapter: Adapter) -> list[str]:
        assert isinstance(self.fake, FakeStatuspage)
        return [
            update["body"]
            for incident in self.fake.incidents.values()
            for update in reversed(incident["incident_updates"])
        ]


class TestCachetContract(StatusPageContract):
    secrets = ("cachet-contract-token",)

    def make_adapter(self, tmp_path: Path) -> Adapter:
        from candor.adapters.cachet import CachetAdapter

        self.fake = FakeCachet(token=self.secrets[0], rate_limit=None)
        channel = Channel(
            name=self.channel,
            adapter="cachet",
            settings={
                "base_url": FakeCachet.base_url,
                "token": self.secrets[0],
                "components": {"API": 1},
            },
        )
        return CachetAdapter(channel, client=self.fake.client(), base_dir=tmp_path)

    def service_posts(self, adapter: Adapter) -> list[str]:
        assert isinstance(self.fake, FakeCachet)
        return [
            text
            for incident_id, incident in self.fake.incidents.items()
            for text in [
                incident["message"],
                *(u["message"] for u in self.fake.updates[incident_id]),
            ]
        ]


class TestInstatusContract(StatusPageContract):
    secrets = ("instatus-contract-key",)

    def make_adapter(self, tmp_path: Path) -> Adapter:
        from candor.adapters.instatus import InstatusAdapter

        self.fake = FakeInstatus(api_key=self.secrets[0], rate_limit=None)
        channel = Channel(
            name=self.channel,
            adapter="instatus",
            settings={
                "page_id": self.fake.page_id,
                "api_key": self.secrets[0],
                "components": {"API": "cmp-api"},
            },
        )
        return InstatusAdapter(channel, client=self.fake.client(), base_dir=tmp_path)

    def service_posts(self, adapter: Adapter) -> list[str]:
        assert isinstance(self.fake, FakeInstatus)
        return [
            update["message"]
            for incident in self.fake.incidents.values()
            for update in incident["updates"]
        ]


class _SocialContract(AdapterContract):
    """A social adapter against its fake: what it holds, and failures on demand."""

    fake: FakeService

    def induce_failure(self, adapter: Adapter, kind: FailureKind) -> bool:
        status = {"auth": 401, "validation": 400, "server": 503}
        if kind == "timeout":
            self.fake.timeout_next()
        else:
            self.fake.fail_next(status=status[kind])
        return True


class TestMastodonContract(_SocialContract):
    secrets = ("mastodon-contract-token",)

    def make_adapter(self, tmp_path: Path) -> Adapter:
        self.fake = FakeMastodon(access_token=self.secrets[0])
        channel = Channel(
            name=self.channel,
            adapter="mastodon",
            settings={"base_url": FakeMastodon.base_url, "access_token": self.secrets[0]},
        )
        return MastodonAdapter(channel, client=self.fake.client(), base_dir=tmp_path)

    def service_posts(self, adapter: Adapter) -> list[str]:
        assert isinstance(self.fake, FakeMastodon)
        return list(self.fake.sources.values())


class TestBlueskyContract(_SocialContract):
    secrets = ("bsky-contract-app-password",)

    def make_adapter(self, tmp_path: Path) -> Adapter:
        self.fake = FakeBluesky(app_password=self.secrets[0])
        channel = Channel(
            name=self.channel,
            adapter="bluesky",
            settings={"identifier": "status.example.com", "app_password": self.secrets[0]},
        )
        return BlueskyAdapter(channel, client=self.fake.client(), base_dir=tmp_path)

    def service_posts(self, adapter: Adapter) -> list[str]:
        assert isinstance(self.fake, FakeBluesky)
        return [record["value"]["text"] for record in self.fake.records.values()]


class TestXContract(_SocialContract):
    secrets = ("x-api-key-0001", "x-api-secret-0002", "x-token-0003", "x-token-secret-0004")

    def make_adapter(self, tmp_path: Path) -> Adapter:
        key, secret, token, token_secret = self.secrets
        self.fake = FakeX(oauth1=(key, secret, token, token_secret))
        channel = Channel(
            name=self.channel,
            adapter="x",
            settings={
                "api_key": key,
                "api_secret": secret,
                "access_token": token,
                "access_token_secret": token_secret,
            },
        )
        return XAdapter(channel, client=self.fake.client(), base_dir=tmp_path)

    def service_posts(self, adapter: Adapter) -> list[str]:
        assert isinstance(self.fake, FakeX)
        return [tweet["text"] for tweet in self.fake.tweets.values()]


class TestXWithAUserTokenContract(TestXContract):
    secrets = ("x-oauth2-user-token-0005",)

    def make_adapter(self, tmp_path: Path) -> Adapter:
        self.fake = FakeX(access_token=self.secrets[0])
        channel = Channel(name=self.channel, adapter="x", settings={"user_token": self.secrets[0]})
        return XAdapter(channel, client=self.fake.client(), base_dir=tmp_path)


def test_every_registered_built_in_adapter_has_a_contract_class() -> None:
    """Adding a built-in adapter without running it through the contract fails here."""
    from candor.adapters import registry

    covered = {
        "console", "static_site", "memory", "webhook", "statuspage", "cachet", "instatus",
        "mastodon", "bluesky", "x", "email",
    }  # fmt: skip
    assert set(registry.available()) <= covered


BAD_ADAPTER = '''
import logging
import httpx
import pytest
from candor.adapters.base import Capabilities, Receipt
from candor.errors import DeliveryError
from candor.testing.contract import AdapterContract

log = logging.getLogger("bad")

class BadAdapter:
    """Cuts long texts, posts twice on a retry, logs its token, calls 401 retryable."""

    capabilities = Capabilities(form="short", max_length=150, threading=True, idempotency=True)

    def __init__(self):
        self.held = []
        self.next_failure = None

    async def post(self, message, context):
        log.warning("posting with token=s3cret-token")
        if self.next_failure is not None:
            status, self.next_failure = self.next_failure, None
            raise DeliveryError(context.channel, f"HTTP {status}", status_code=status)
        self.held.append(message.text[:150])
        return Receipt(channel=context.channel, remote_id=f"p{len(self.held)}")

    async def aclose(self):
        pass

class TestBad(AdapterContract):
    secrets = ("s3cret-token",)

    def make_adapter(self, tmp_path):
        return BadAdapter()

    def service_posts(self, adapter):
        return adapter.held

    def induce_failure(self, adapter, kind):
        adapter.next_failure = {"auth": 401, "validation": 400, "server": 503, "timeout": 504}[kind]
        return True
'''


def test_the_contract_fails_an_adapter_that_breaks_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bad=BAD_ADAPTER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    failed = {line.split("::")[-1].split(" ")[0] for line in result.outlines if "FAILED" in line}
    assert failed == {
        "test_an_update_joins_the_thread_of_the_first",
        "test_a_message_over_the_limit_is_fitted_or_refused_never_cut",
        "test_the_same_idempotency_key_twice_posts_once",
        "test_a_refusal_is_not_retryable[auth]",
        "test_a_refusal_is_not_retryable[validation]",
        "test_no_secret_reaches_a_log_or_an_error",
    }
    result.assert_outcomes(passed=5, failed=6)


def test_a_subclass_without_make_adapter_says_what_is_missing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "from candor.testing.contract import AdapterContract\n"
        "class TestNothing(AdapterContract):\n    pass\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-x")
    result.stdout.fnmatch_lines(["*must implement make_adapter*"])


def test_the_contract_is_reused_not_collected_on_its_own() -> None:
    assert not AdapterContract.__name__.startswith("Test")
    assert isinstance(candor.Capabilities(), Capabilities)
