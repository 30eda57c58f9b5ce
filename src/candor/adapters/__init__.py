"""Adapters, one module per service, found through the ``candor.adapters`` entry points."""

from __future__ import annotations

from candor.adapters.registry import available, load
from candor.typing import Adapter
from candor.vocabulary import (
    Audience,
    Capabilities,
    Channel,
    DeliveryContext,
    Form,
    LengthUnit,
    Markup,
    Receipt,
)

__all__ = [
    "Adapter",
    "Audience",
    "Capabilities",
    "Channel",
    "DeliveryContext",
    "Form",
    "LengthUnit",
    "Markup",
    "Receipt",
    "available",
    "load",
]
