"""The static site's Atom 1.0 feeds (RFC 4287): ``feed.atom`` with one entry per update,
and ``feeds/<component>.atom`` for each component, with the updates of the incidents
that touch it, so people can follow what they use without giving an address.

Every text goes in through :func:`~candor.adapters.xml_safe`: a character XML 1.0
cannot hold (NUL, ESC, a lone surrogate, recorded by an older candor or read
back from an old site record) becomes U+FFFD, so the feed stays well-formed XML
for every reader.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from candor.adapters import xml_safe
from candor.adapters.static_site.view import iso

if TYPE_CHECKING:
    from candor.adapters.static_site.view import SiteView

__all__ = ["ATOM", "component_feeds", "feed"]

ATOM = "http://www.w3.org/2005/Atom"


def component_feeds(view: SiteView) -> dict[str, bytes]:
    """One feed per component, by where it is written (:meth:`SiteView.feed_path`)."""
    return {view.feed_path(name): feed(view, component=name) for name in view.component_names}


def feed(view: SiteView, *, component: str | None = None) -> bytes:
    """The feed document, newest entry first: every update, or those touching ``component``."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(
            parent, f"{{{ATOM}}}{tag}", {key: xml_safe(value) for key, value in attrs.items()}
        )
        if text is not None:
            node.text = xml_safe(text)
        return node

    document = ET.Element(f"{{{ATOM}}}feed")
    document.set("xml:lang", "en")
    path = "feed.atom" if component is None else view.feed_path(component)
    if view.base_url:
        feed_id = view.url(path)
    elif component is None:
        feed_id = f"urn:candor:feed:{view.page_id}"
    else:
        feed_id = f"urn:candor:feed:{view.page_id}:{path.removeprefix('feeds/')}"
    sub(document, "id", feed_id)
    sub(document, "title", view.title if component is None else f"{view.title}: {component}")
    entries = [
        (incident, entry)
        for incident in [*view.open, *view.resolved]
        if component is None or component in incident.scope.components
        for entry in incident.updates.values()
    ]
    entries.sort(key=lambda pair: (pair[1].created_at, pair[1].seq), reverse=True)
    updated = entries[0][1].created_at if entries else view.now
    sub(document, "updated", iso(updated))
    author = sub(document, "author")
    sub(author, "name", view.organization.name)
    if view.base_url:
        sub(document, "link", rel="self", type="application/atom+xml", href=view.url(path))
    sub(document, "link", rel="alternate", type="text/html", href=view.url("index.html"))
    sub(document, "generator", "candor")
    for incident, entry in entries:
        item = sub(document, "entry")
        sub(item, "id", f"urn:candor:update:{entry.id}")
        sub(item, "title", f"{entry.status.value.capitalize()}: {incident.title}")
        sub(item, "published", iso(entry.created_at))
        sub(item, "updated", iso(entry.created_at))
        sub(
            item,
            "link",
            rel="alternate",
            type="text/html",
            href=view.url(view.incident_path(incident.id)),
        )
        sub(item, "content", entry.text, type="text")
    ET.indent(document)
    written: bytes = ET.tostring(document, encoding="utf-8", xml_declaration=True)
    return written + b"\n"
