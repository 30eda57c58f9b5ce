"""candor: tell customers the truth during an incident, on every channel, and never go quiet.

The public API is everything in ``__all__``. The errors load with ``import
candor``; the domain model (pydantic), the facade, the renderer, the store and
the adapters load when a name of theirs is first used, so importing candor (and
so running ``candor --help``) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from candor._version import __version__
from candor.errors import (
    AdapterError,
    CandorError,
    CheckError,
    ConfigError,
    ConflictError,
    DeliveryError,
    IncidentNotFound,
    InputError,
    PolicyError,
    PromiseError,
    SignatureError,
    StoreError,
    TemplateError,
    TransitionError,
)

if TYPE_CHECKING:
    from candor.checks import Rule, check
    from candor.communicator import AsyncCommunicator, Communicator
    from candor.delivery import DeliverySettings, Outcome
    from candor.keeper import PolicyAction
    from candor.model import (
        ActionItem,
        ActionStatus,
        Closure,
        Delivery,
        DeliveryState,
        Effect,
        Impact,
        Incident,
        Organization,
        Override,
        Promise,
        PromiseKind,
        Reminder,
        ReminderState,
        Scope,
        Status,
        Update,
        UpdateKind,
        WriteUp,
    )
    from candor.policy import OnDue, Policy
    from candor.render import Renderer
    from candor.scorecard import Scorecard
    from candor.typing import Adapter, Store
    from candor.vocabulary import (
        Audience,
        Capabilities,
        Channel,
        DeliveryContext,
        Finding,
        Form,
        Message,
        Receipt,
        Severity,
        Subscriber,
        TemplateLimits,
    )

__all__ = [
    "ActionItem",
    "ActionStatus",
    "Adapter",
    "AdapterError",
    "AsyncCommunicator",
    "Audience",
    "CandorError",
    "Capabilities",
    "Channel",
    "CheckError",
    "Closure",
    "Communicator",
    "ConfigError",
    "ConflictError",
    "Delivery",
    "DeliveryContext",
    "DeliveryError",
    "DeliverySettings",
    "DeliveryState",
    "Effect",
    "Finding",
    "Form",
    "Impact",
    "Incident",
    "IncidentNotFound",
    "InputError",
    "Message",
    "OnDue",
    "Organization",
    "Outcome",
    "Override",
    "Policy",
    "PolicyAction",
    "PolicyError",
    "Promise",
    "PromiseError",
    "PromiseKind",
    "Receipt",
    "Reminder",
    "ReminderState",
    "Renderer",
    "Rule",
    "Scope",
    "Scorecard",
    "Severity",
    "SignatureError",
    "Status",
    "Store",
    "StoreError",
    "Subscriber",
    "TemplateError",
    "TemplateLimits",
    "TransitionError",
    "Update",
    "UpdateKind",
    "WriteUp",
    "__version__",
    "check",
]

_LAZY = {
    "ActionItem": "candor.model",
    "ActionStatus": "candor.model",
    "Closure": "candor.model",
    "Delivery": "candor.model",
    "DeliveryState": "candor.model",
    "Effect": "candor.model",
    "Impact": "candor.model",
    "Incident": "candor.model",
    "Organization": "candor.model",
    "Override": "candor.model",
    "Promise": "candor.model",
    "PromiseKind": "candor.model",
    "Reminder": "candor.model",
    "ReminderState": "candor.model",
    "Scope": "candor.model",
    "Status": "candor.model",
    "Update": "candor.model",
    "UpdateKind": "candor.model",
    "WriteUp": "candor.model",
    "Adapter": "candor.typing",
    "Audience": "candor.vocabulary",
    "Capabilities": "candor.vocabulary",
    "Channel": "candor.vocabulary",
    "DeliveryContext": "candor.vocabulary",
    "Form": "candor.vocabulary",
    "Receipt": "candor.vocabulary",
    "Subscriber": "candor.vocabulary",
    "TemplateLimits": "candor.vocabulary",
    "AsyncCommunicator": "candor.communicator",
    "Finding": "candor.vocabulary",
    "Rule": "candor.checks",
    "Severity": "candor.vocabulary",
    "check": "candor.checks",
    "Communicator": "candor.communicator",
    "DeliverySettings": "candor.delivery",
    "Outcome": "candor.delivery",
    "OnDue": "candor.policy",
    "Policy": "candor.policy",
    "PolicyAction": "candor.keeper",
    "Scorecard": "candor.scorecard",
    "Message": "candor.vocabulary",
    "Renderer": "candor.render",
    "Store": "candor.typing",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'candor' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
