"""The third-party adapter of docs/adapters.md, tested the way its author would test it.

``pager/candor_pager.py`` is a complete adapter written with the kit
(``candor.adapters``). Here it passes ``AdapterContract`` against a fake of its
service, and candor finds it through the entry point its ``pyproject.toml``
declares, as any installed plugin: ``candor open`` posts to it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest

import candor
from candor.testing.contract import AdapterContract, FailureKind
from candor.testing.fakes import FakeService, Reply, Request, serve

PAGER = Path(__file__).resolve().parent / "pager"
sys.path.insert(0, str(PAGER))

from candor_pager import PagerAdapter  # noqa: E402  (the example folder, put on the path above)

TOKEN = "pager-token-0c1d2e3f4a5b"


class FakeBoard(FakeService):
    """The made-up Pager service, as its (made-up) documentation in candor_pager.py says."""

    service = "pager"
    base_url = "https://api.pager.example"

    def __init__(self, **options: Any) -> None:
        super().__init__(specs=False, **options)
        self.notices: dict[str, dict[str, Any]] = {}
        self._answers: dict[str, Reply] = {}

    def route(self, request: Request) -> Reply:
        if request.method != "POST" or not request.path.startswith("/v1/boards/"):
            return Reply.json(404, {"error": "not found"})
        if request.bearer() != TOKEN:
            return Reply.json(401, {"error": "bad token"})
        key = request.headers.get("idempotency-key", "")
        if key in self._answers:
            return self._answers[key]  # a repeat gets the first answer
        text = request.json().get("text")
        if not isinstance(text, str) or not text or len(text) > 500:
            return Reply.json(422, {"error": "text must be 1 to 500 characters"})
        notice_id = f"n{self.new_id()}"
        self.notices[notice_id] = {**request.json(), "id": notice_id}
        reply = Reply.json(201, {"id": notice_id, "url": f"https://pager.example/{notice_id}"})
        self._answers[key] = reply
        return reply


def channel(base_url: str = FakeBoard.base_url) -> candor.Channel:
    settings = {"base_url": base_url, "board": "status", "api_token": TOKEN}
    return candor.Channel(name="pager", adapter="pager", settings=settings)


class TestPagerContract(AdapterContract):
    secrets = (TOKEN,)

    def make_adapter(self, tmp_path: Path) -> PagerAdapter:
        self.fake = FakeBoard()
        return PagerAdapter(channel(), client=self.fake.client(), base_dir=tmp_path)

    def service_posts(self, adapter: Any) -> list[str]:
        return [notice["text"] for notice in self.fake.notices.values()]

    def induce_failure(self, adapter: Any, kind: FailureKind) -> bool:
        if kind == "timeout":
            self.fake.timeout_next()
        else:
            self.fake.fail_next(status={"auth": 401, "validation": 422, "server": 503}[kind])
        return True


def test_a_bad_setting_names_the_channel_and_key(tmp_path: Path) -> None:
    bad = candor.Channel(name="pager", adapter="pager", settings={"board": "status"})
    with pytest.raises(candor.ConfigError, match="api_token"):
        PagerAdapter(bad, client=httpx.AsyncClient(), base_dir=tmp_path)


def test_the_secret_stays_masked_in_the_channel_and_the_adapter(tmp_path: Path) -> None:
    adapter = PagerAdapter(channel(), client=httpx.AsyncClient(), base_dir=tmp_path)
    for shown in (repr(channel()), str(channel()), repr(adapter), repr(adapter.settings)):
        assert TOKEN not in shown


def install(site: Path) -> None:
    """Make ``site`` hold what ``pip install examples/pager`` would: its entry points."""
    declared = tomllib.loads((PAGER / "pyproject.toml").read_text())["project"]
    info = site / "candor_pager-0.1.0.dist-info"
    info.mkdir(parents=True)
    info.joinpath("METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {declared['name']}\nVersion: {declared['version']}\n"
    )
    lines = [f"[{group}]" for group in declared["entry-points"]]
    text = "".join(
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items())
        for group, points in declared["entry-points"].items()
    )
    assert lines == ["[candor.adapters]"]
    info.joinpath("entry_points.txt").write_text(text)


def test_candor_finds_the_adapter_by_its_entry_point_and_posts(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    install(site)
    board = FakeBoard()
    with serve(board) as base_url:
        (tmp_path / "candor.toml").write_text(
            "[organization]\nname = 'Acme'\n\n[store]\nurl = 'sqlite:///candor.db'\n\n"
            "[[channels]]\nname = 'pager'\nadapter = 'pager'\n"
            f"base_url = '{base_url}'\nboard = 'status'\napi_token = '${{PAGER_TOKEN}}'\n"
        )
        env = {
            **{k: v for k, v in os.environ.items() if k != "CANDOR_CONFIG"},
            "PYTHONPATH": os.pathsep.join([str(site), str(PAGER)]),
            "PAGER_TOKEN": TOKEN,
        }
        candor_cli = [sys.executable, "-c", "from candor.cli import main; main()"]

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            done = subprocess.run(
                [*candor_cli, *args],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            assert TOKEN not in done.stdout + done.stderr
            return done

        shown = json.loads(run("--json", "config").stdout)
        assert shown["channels"][0]["adapter"] == "pager"
        assert shown["channels"][0]["settings"]["api_token"] == "**********"
        run(
            "open",
            "Checkout API down in eu-west",
            "-c",
            "Checkout API",
            "-r",
            "eu-west",
            "-m",
            "Checkout fails for every customer in eu-west; we are on it.",
        )
    texts = [notice["text"] for notice in board.notices.values()]
    assert len(texts) == 1
    assert "eu-west" in texts[0]
