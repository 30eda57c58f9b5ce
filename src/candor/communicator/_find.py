"""Finding the incident a person names: by id, by title, by a title's start, or the one open.

Shell runbooks name incidents the way people do ("API errors in eu-west"), and
``candor update --latest`` means "the incident we are in". Each lookup either
finds exactly one incident or refuses, listing the incidents it could have meant,
so a runbook never updates the wrong one.
"""

from __future__ import annotations

from collections.abc import Sequence

from candor.errors import AmbiguousIncident, IncidentNotFound, InputError
from candor.model import Incident, terminal_safe

__all__ = ["describe", "lookup", "only_open"]


def describe(incident: Incident) -> str:
    """``id (title)``, as an error lists a candidate."""
    return f"{incident.id} ({terminal_safe(incident.title, lines=False)})"


def _ranked(incidents: Sequence[Incident]) -> list[Incident]:
    """Open incidents first, then by the last update, newest first."""
    return sorted(incidents, key=lambda i: (not i.is_open, -i.updated_at.timestamp()))


def lookup(reference: str, incidents: Sequence[Incident], by_id: Incident | None) -> Incident:
    """The incident ``reference`` names among ``incidents`` (``by_id`` when it is an id).

    An id wins; then a title equal to ``reference`` (ignoring case and the space
    around it); then the one title that starts with it. Open and resolved incidents
    alike are candidates; more than one match raises
    AmbiguousIncident listing them, none raises IncidentNotFound listing the open ones.
    """
    if by_id is not None:
        return by_id
    if not isinstance(reference, str) or not reference.strip():
        raise InputError("incident", reference, "give an incident's id or title")
    wanted = reference.strip().casefold()
    exact = [i for i in incidents if i.title.strip().casefold() == wanted]
    found = exact or [i for i in incidents if i.title.strip().casefold().startswith(wanted)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        ranked = _ranked(found)
        raise AmbiguousIncident(
            reference,
            f"{len(found)} incidents have this title or one starting with it; give the id of "
            "one of",
            tuple(describe(i) for i in ranked),
        )
    open_ones = tuple(describe(i) for i in _ranked([i for i in incidents if i.is_open]))
    raise IncidentNotFound(reference, open_ones, by_title=True)


def only_open(incidents: Sequence[Incident]) -> Incident:
    """The one open incident among ``incidents``; InputError when none is, or several are."""
    live = _ranked([i for i in incidents if i.is_open])
    if len(live) == 1:
        return live[0]
    if not live:
        raise InputError("incident", "--latest", "no incident is open; give an incident's id")
    raise AmbiguousIncident(
        "--latest",
        f"{len(live)} incidents are open, so the latest is not clear; name one by its id or "
        "title, of",
        tuple(describe(i) for i in live),
    )
