"""Adapters, one module per service, found through the ``candor.adapters`` entry points."""

from __future__ import annotations

from candor.adapters.base import (
    Adapter,
    Audience,
    Capabilities,
    Channel,
    DeliveryContext,
    Form,
    LengthUnit,
    Markup,
    Receipt,
)
from candor.adapters.registry import available, load

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
