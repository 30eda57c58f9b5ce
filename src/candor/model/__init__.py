"""The domain: what an incident is, what an update records, and how status may move.

Everything here is a frozen pydantic model. Bad input raises
:class:`candor.errors.InputError` naming the field and the value: a fraction of
``"50%"`` is refused, not read as a half; a naive datetime is refused, not
guessed to be UTC.

The names live in four private modules, read in this order: ``_choices`` (the
enums), ``_text`` (the one validator of what people type, its size limits, and
escaping for terminals and XML), ``_values`` (scope, write-up, deliveries,
promises, the organisation and the duration and time parsers) and
``_incident`` (updates, the incident, and how it grows: :meth:`Incident.start`,
:meth:`Incident.append`). Import them from here.
"""

from __future__ import annotations

from candor.model._choices import (
    ActionStatus,
    DeliveryState,
    Effect,
    Impact,
    PromiseKind,
    ReminderState,
    Status,
    UpdateKind,
)
from candor.model._incident import (
    Incident,
    Update,
    check_override,
    check_transition,
)
from candor.model._text import (
    ITEM_LIMITS,
    TEXT_LIMITS,
    check_items,
    check_text,
    clean_text,
    terminal_safe,
    xml_safe,
)
from candor.model._values import (
    ActionItem,
    Closure,
    Correction,
    Delivery,
    Organization,
    Override,
    Promise,
    Reminder,
    Scope,
    WriteUp,
    describe_duration,
    minute_up,
    names,
    parse_duration,
    parse_when,
)

__all__ = [
    "ITEM_LIMITS",
    "TEXT_LIMITS",
    "ActionItem",
    "ActionStatus",
    "Closure",
    "Correction",
    "Delivery",
    "DeliveryState",
    "Effect",
    "Impact",
    "Incident",
    "Organization",
    "Override",
    "Promise",
    "PromiseKind",
    "Reminder",
    "ReminderState",
    "Scope",
    "Status",
    "Update",
    "UpdateKind",
    "WriteUp",
    "check_items",
    "check_override",
    "check_text",
    "check_transition",
    "clean_text",
    "describe_duration",
    "minute_up",
    "names",
    "parse_duration",
    "parse_when",
    "terminal_safe",
    "xml_safe",
]
