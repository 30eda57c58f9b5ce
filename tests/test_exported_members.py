"""The public API is exactly what __all__ lists, and importing candor stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import candor


def test_all_lists_every_public_name_and_each_resolves() -> None:
    exported = set(candor.__all__)
    assert exported == {
        "Adapter", "AdapterError", "AsyncCommunicator", "Audience", "CandorError",
        "Capabilities", "Channel", "CheckError", "ConfigError", "ConflictError", "Communicator",
        "Delivery", "DeliveryContext", "DeliveryError", "DeliverySettings", "DeliveryState",
        "Effect", "Finding", "Form", "Impact", "Incident", "IncidentNotFound", "InputError",
        "Message", "Organization", "Outcome", "Override", "Policy", "PolicyError", "Promise",
        "PromiseKind", "Receipt", "Renderer", "Rule", "Scope", "Severity", "SignatureError",
        "Status", "Store", "StoreError", "TemplateError", "TransitionError", "Update",
        "UpdateKind", "__version__", "check", "ActionItem", "ActionStatus", "Closure", "OnDue",
        "PolicyAction", "PromiseError", "Reminder", "ReminderState", "Scorecard", "WriteUp",
        "TemplateLimits", "Subscriber",
    }  # fmt: skip
    for name in exported:
        assert getattr(candor, name) is not None


def test_import_candor_does_not_load_heavy_modules() -> None:
    code = (
        "import sys, candor; "
        "heavy = [m for m in ('httpx', 'jinja2', 'sqlite3', 'click', 'candor.communicator') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        candor.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
