"""The adapter kit is one public door, candor's own adapters use only it, and it loads lazily."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import candor.adapters

ADAPTERS = Path(candor.adapters.__file__).parent
# The kit's own modules; every other module (or package) here is one service.
KIT = {"base", "exchange", "http", "pages", "registry", "service", "text", "threads"}


def test_the_kit_lists_every_public_name_and_each_resolves() -> None:
    assert set(candor.adapters.__all__) == {
        "Adapter", "AdapterInit", "Audience", "Capabilities", "Channel", "ComponentState",
        "DeliveryContext", "Form", "Imported", "LengthUnit", "Markup", "Message", "Receipt",
        "Reconciling", "Refreshing",
        "STATUSPAGE_COMPONENT_STATUS", "ServiceAdapter", "answer", "available", "check_response",
        "component_state", "component_states", "fits", "graphemes", "http_url", "json_of",
        "links", "load", "mastodon_mentions", "measure", "neutralise_mentions", "parent_of",
        "parse_settings",
        "refuse_if_too_long", "register_secret", "required_secret", "retry_after", "root_of",
        "scrub", "secret_http_url", "secrets_of", "send", "service_message", "terminal_safe",
        "transport_error", "weighted_length", "worst", "xml_safe", "Wait", "WaitReader",
        "discord_wait", "reset_header",
        "MentionRule", "any_service_mentions", "x_mentions", "Editing",
    }  # fmt: skip
    for name in candor.adapters.__all__:
        assert getattr(candor.adapters, name) is not None, name
    with pytest.raises(AttributeError, match="no_such_name"):
        candor.adapters.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def imports_of(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def service_files() -> list[Path]:
    files = [p for p in ADAPTERS.glob("*.py") if p.stem not in {*KIT, "__init__", "transport"}]
    for package in (p for p in ADAPTERS.iterdir() if (p / "__init__.py").is_file()):
        files += sorted(package.glob("*.py"))
    return sorted(files)


def test_there_is_one_module_or_package_per_service() -> None:
    names = {p.stem if p.parent == ADAPTERS else p.parent.name for p in service_files()}
    assert names == {
        "bluesky", "cachet", "console", "email", "instatus", "mastodon", "static_site",
        "statuspage", "webhook", "x",
    }  # fmt: skip


@pytest.mark.parametrize("path", service_files(), ids=lambda p: p.relative_to(ADAPTERS).as_posix())
def test_a_service_imports_the_kit_and_no_other_service(path: Path) -> None:
    own = path.parent.name if path.parent != ADAPTERS else path.stem
    for module in imports_of(path):
        if not module.startswith("candor.adapters."):
            continue
        assert module == f"candor.adapters.{own}" or module.startswith(f"candor.adapters.{own}."), (
            f"{path.name} imports {module}: import it from candor.adapters (the kit)"
        )


def test_importing_the_kit_loads_neither_http_nor_the_services() -> None:
    code = (
        "import sys, candor.adapters; "
        "from candor.adapters import Capabilities, Channel; "
        "loaded = [m for m in sys.modules if m in ('httpx', 'jinja2', 'regex') "
        "or m.startswith(('candor.adapters.http', 'candor.adapters.mastodon', "
        "'candor.adapters.static_site', 'candor.adapters.text'))]; print(','.join(loaded))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""
