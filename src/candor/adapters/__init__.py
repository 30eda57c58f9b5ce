"""The adapter kit: everything an adapter author imports, from one place.

An adapter posts one rendered message to one service; a *channel* is a
configured adapter. candor's own adapters (one module per service, below this
package) use only what is listed here, and so can yours::

    from candor.adapters import Capabilities, Form, Receipt, ServiceAdapter, send

- the Protocols (from :mod:`candor.typing`): :class:`Adapter`, :class:`Editing`,
  :class:`Reconciling`, :class:`Refreshing`, :class:`AdapterInit`;
- the vocabulary (from :mod:`candor.vocabulary`): :class:`Capabilities`, :class:`Form`,
  :class:`LengthUnit`, :class:`Markup`, :class:`Audience`, :class:`Channel`,
  :class:`DeliveryContext`, :class:`Message`, :class:`Receipt`, :class:`Imported`;
- the constructor every adapter shares: :class:`ServiceAdapter` (settings
  parsed, secrets registered, capabilities for the channel);
- settings: :func:`parse_settings`, and the validators :func:`http_url`,
  :func:`secret_http_url` and :func:`required_secret`; secrets:
  :func:`register_secret`, :func:`secrets_of`, :func:`scrub`;
- HTTP: :func:`send` (one request, its answer classified), :func:`check_response`,
  :func:`transport_error`, :func:`retry_after`, :func:`service_message`,
  the readers of a service's "too many requests" (:class:`Wait`, :func:`reset_header`,
  :func:`discord_wait`),
  :func:`answer`, :func:`json_of`;
- text: :func:`measure`, :func:`fits`, :func:`refuse_if_too_long`,
  :func:`neutralise_mentions`, :func:`links`, :func:`graphemes`,
  :func:`weighted_length`, :func:`terminal_safe`, :func:`xml_safe`;
- threads: :func:`root_of`, :func:`parent_of`;
- status pages: :class:`ComponentState`, :func:`component_state`,
  :func:`component_states`, :func:`worst`, :data:`STATUSPAGE_COMPONENT_STATUS`;
- finding adapters: :func:`available`, :func:`load`.

Names load on first use, so that ``import candor`` (which needs only the
vocabulary) never pays for the HTTP or text parts. The walk-through is
``docs/adapters.md``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from candor.adapters.base import (
        http_url,
        parse_settings,
        required_secret,
        secret_http_url,
    )
    from candor.adapters.exchange import answer, json_of, send
    from candor.adapters.http import (
        Wait,
        WaitReader,
        check_response,
        discord_wait,
        reset_header,
        retry_after,
        scrub,
        service_message,
        transport_error,
    )
    from candor.adapters.pages import (
        STATUSPAGE_COMPONENT_STATUS,
        ComponentState,
        component_state,
        component_states,
        worst,
    )
    from candor.adapters.registry import available, load
    from candor.adapters.service import ServiceAdapter, register_secret, secrets_of
    from candor.adapters.text import (
        MentionRule,
        any_service_mentions,
        fits,
        graphemes,
        links,
        mastodon_mentions,
        measure,
        neutralise_mentions,
        refuse_if_too_long,
        terminal_safe,
        weighted_length,
        x_mentions,
        xml_safe,
    )
    from candor.adapters.threads import parent_of, root_of
    from candor.typing import Adapter, AdapterInit, Editing, Reconciling, Refreshing
    from candor.vocabulary import (
        Audience,
        Capabilities,
        Channel,
        DeliveryContext,
        Form,
        Imported,
        LengthUnit,
        Markup,
        Message,
        Receipt,
    )

_LAZY = {
    **dict.fromkeys(
        ("Adapter", "AdapterInit", "Editing", "Reconciling", "Refreshing"), "candor.typing"
    ),
    **dict.fromkeys(
        (
            "Audience",
            "Capabilities",
            "Channel",
            "DeliveryContext",
            "Form",
            "Imported",
            "LengthUnit",
            "Markup",
            "Message",
            "Receipt",
        ),
        "candor.vocabulary",
    ),
    **dict.fromkeys(
        ("http_url", "parse_settings", "required_secret", "secret_http_url"), "candor.adapters.base"
    ),
    **dict.fromkeys(("answer", "json_of", "send"), "candor.adapters.exchange"),
    **dict.fromkeys(
        (
            "Wait",
            "WaitReader",
            "check_response",
            "discord_wait",
            "reset_header",
            "retry_after",
            "scrub",
            "service_message",
            "transport_error",
        ),
        "candor.adapters.http",
    ),
    **dict.fromkeys(
        (
            "STATUSPAGE_COMPONENT_STATUS",
            "ComponentState",
            "component_state",
            "component_states",
            "worst",
        ),
        "candor.adapters.pages",
    ),
    **dict.fromkeys(("available", "load"), "candor.adapters.registry"),
    **dict.fromkeys(("ServiceAdapter", "register_secret", "secrets_of"), "candor.adapters.service"),
    **dict.fromkeys(
        (
            "MentionRule",
            "any_service_mentions",
            "fits",
            "graphemes",
            "links",
            "mastodon_mentions",
            "measure",
            "neutralise_mentions",
            "refuse_if_too_long",
            "terminal_safe",
            "weighted_length",
            "x_mentions",
            "xml_safe",
        ),
        "candor.adapters.text",
    ),
    **dict.fromkeys(("parent_of", "root_of"), "candor.adapters.threads"),
}

__all__ = [
    "STATUSPAGE_COMPONENT_STATUS",
    "Adapter",
    "AdapterInit",
    "Audience",
    "Capabilities",
    "Channel",
    "ComponentState",
    "DeliveryContext",
    "Editing",
    "Form",
    "Imported",
    "LengthUnit",
    "Markup",
    "MentionRule",
    "Message",
    "Receipt",
    "Reconciling",
    "Refreshing",
    "ServiceAdapter",
    "Wait",
    "WaitReader",
    "answer",
    "any_service_mentions",
    "available",
    "check_response",
    "component_state",
    "component_states",
    "discord_wait",
    "fits",
    "graphemes",
    "http_url",
    "json_of",
    "links",
    "load",
    "mastodon_mentions",
    "measure",
    "neutralise_mentions",
    "parent_of",
    "parse_settings",
    "refuse_if_too_long",
    "register_secret",
    "required_secret",
    "reset_header",
    "retry_after",
    "root_of",
    "scrub",
    "secret_http_url",
    "secrets_of",
    "send",
    "service_message",
    "terminal_safe",
    "transport_error",
    "weighted_length",
    "worst",
    "x_mentions",
    "xml_safe",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'candor.adapters' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
