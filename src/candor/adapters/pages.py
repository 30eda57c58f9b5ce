"""The status-page vocabulary: which state an update puts each component in.

The policy, stated once for every status page (Statuspage, Cachet, Instatus and
candor's own static site): a component that is down for the customers it
affects is in a full outage for as long as it is, whatever the fraction
("partial is full"); one that is slow but working is degraded; a resolution
returns every component the incident touched to operational, and a component an
update drops from the scope goes back to operational too. The message body
says the precise scope (regions, the fraction or count).

Each adapter maps :class:`ComponentState` to its service's words;
:data:`STATUSPAGE_COMPONENT_STATUS` holds Statuspage's, which the static site's
JSON speaks too. Part of the adapter kit: import these from :mod:`candor.adapters`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

from candor.model import Effect, Scope, Status

if TYPE_CHECKING:
    from candor.vocabulary import DeliveryContext

__all__ = [
    "STATUSPAGE_COMPONENT_STATUS",
    "ComponentState",
    "component_state",
    "component_states",
    "worst",
]


class ComponentState(StrEnum):
    """A component's state in candor's terms, from best to worst."""

    OPERATIONAL = "operational"
    DEGRADED = "degraded"
    OUTAGE = "outage"

    @property
    def rank(self) -> int:
        """0 for operational, 1 for degraded, 2 for an outage: larger is worse."""
        return _RANK[self]


_RANK = {state: rank for rank, state in enumerate(ComponentState)}

STATUSPAGE_COMPONENT_STATUS: Mapping[ComponentState, str] = {
    ComponentState.OPERATIONAL: "operational",
    ComponentState.DEGRADED: "degraded_performance",
    ComponentState.OUTAGE: "major_outage",
}
"""Statuspage's component status for each state (its API and its public JSON)."""


def component_state(scope: Scope, status: Status) -> ComponentState:
    """The state an update with ``status`` puts each component of ``scope`` in."""
    if status is Status.RESOLVED:
        return ComponentState.OPERATIONAL
    return ComponentState.DEGRADED if scope.effect is Effect.DEGRADED else ComponentState.OUTAGE


def worst(states: Iterable[ComponentState]) -> ComponentState:
    """The worst of ``states``; operational when there are none."""
    return max(states, key=lambda state: state.rank, default=ComponentState.OPERATIONAL)


def component_states(context: DeliveryContext) -> dict[str, ComponentState]:
    """Every component the incident has named up to this update, with its state now.

    Keys are candor's component names, in the order they were first named.
    """
    update = context.update
    touched: dict[str, None] = {}
    for earlier in context.incident.updates:
        if earlier.seq > update.seq:
            break
        touched.update(dict.fromkeys(earlier.scope.components))
    touched.update(dict.fromkeys(update.scope.components))
    now = component_state(update.scope, update.status)
    current = set(update.scope.components)
    return {name: now if name in current else ComponentState.OPERATIONAL for name in touched}
