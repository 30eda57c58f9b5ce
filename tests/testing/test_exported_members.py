"""candor.testing's public names are pinned, and it loads without pytest."""

from __future__ import annotations

import subprocess
import sys

import pytest

import candor.testing
import candor.testing.fakes


def test_all_lists_every_public_name_and_each_resolves() -> None:
    assert set(candor.testing.__all__) == {
        "SERVICE_CAPABILITIES", "AdapterContract", "Capture", "Clock", "MemoryAdapter", "Outbox",
        "PostedMessage", "StoreContract", "assert_candid", "assert_consistent", "assert_posted",
        "capabilities_for", "capture", "current_outbox", "reset",
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


def test_the_contracts_are_the_suites_of_their_modules() -> None:
    from candor.testing import AdapterContract, StoreContract
    from candor.testing.contract import AdapterContract as adapter_suite
    from candor.testing.store_contract import StoreContract as store_suite

    assert (AdapterContract, StoreContract) == (adapter_suite, store_suite)


def test_the_contracts_load_pytest_only_when_asked_for() -> None:
    """Importing the toolkit loads neither contract; asking for one without pytest says why."""
    out = _run(
        "import sys; sys.modules['pytest'] = None; import candor.testing; "
        "print([m for m in ('candor.testing.contract', 'candor.testing.store_contract') "
        "if m in sys.modules])\n"
        "for name in ('AdapterContract', 'StoreContract'):\n"
        "    try:\n"
        "        exec(f'from candor.testing import {name}')\n"
        "    except ImportError as exc:\n"
        "        print(exc)\n"
    )
    assert out.splitlines() == [
        "[]",
        "candor.testing.AdapterContract is a pytest suite: install pytest to use it",
        "candor.testing.StoreContract is a pytest suite: install pytest to use it",
    ]


def test_the_plugin_imports_none_of_the_toolkit() -> None:
    out = _run(
        "import sys, candor.testing.pytest_plugin; "
        "print(','.join(m for m in ('candor.testing.memory', 'candor.testing._capture', "
        "'candor.testing.fakes', 'candor.communicator', 'httpx', 'jinja2') if m in sys.modules))"
    )
    assert out == ""
