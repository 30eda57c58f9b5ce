"""candor.testing's public names are pinned, and it loads without pytest."""

from __future__ import annotations

import subprocess
import sys

import pytest

import candor.testing
import candor.testing.fakes


def test_all_lists_every_public_name_and_each_resolves() -> None:
    assert set(candor.testing.__all__) == {
        "SERVICE_CAPABILITIES", "Capture", "Clock", "MemoryAdapter", "Outbox", "PostedMessage",
        "assert_candid", "assert_consistent", "assert_posted", "capabilities_for", "capture",
        "current_outbox", "reset",
    }  # fmt: skip
    for name in candor.testing.__all__:
        assert getattr(candor.testing, name) is not None


def test_the_fakes_export_one_class_per_service() -> None:
    assert set(candor.testing.fakes.__all__) == {
        "FakeBluesky", "FakeCachet", "FakeDiscord", "FakeInstatus", "FakeMastodon",
        "FakeService", "FakeSlack",
        "FakeStatuspage", "FakeWebhook", "FakeX", "Ping", "Reply", "Request", "SpecStatus",
        "find_specs", "serve", "sign",
    }  # fmt: skip


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        candor.testing.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def test_candor_testing_and_the_fakes_import_without_pytest() -> None:
    """Users' code that is not a pytest suite can use the toolkit."""
    out = _run(
        "import sys; sys.modules['pytest'] = None; "
        "from candor.testing import capture, MemoryAdapter, Clock, assert_posted; "
        "import candor.testing.fakes; print('ok')"
    )
    assert out == "ok"


def test_the_plugin_imports_none_of_the_toolkit() -> None:
    out = _run(
        "import sys, candor.testing.pytest_plugin; "
        "print(','.join(m for m in ('candor.testing.memory', 'candor.testing._capture', "
        "'candor.testing.fakes', 'candor.communicator', 'httpx', 'jinja2') if m in sys.modules))"
    )
    assert out == ""
