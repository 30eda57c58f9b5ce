"""Rendering plus checking one message for one channel: messages per second on one core.

Prints candor's figure (render with the default pack, then every check, with
the incident) beside a raw Jinja2 render of the same template in the same run,
and the ratio. The target is at least 5,000 messages a second.

    python benchmarks/check_speed.py [seconds]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

import jinja2

from candor import Capabilities, Form, Incident, Scope, Status, Update
from candor.checks import check
from candor.model import Impact, UpdateKind
from candor.render import Renderer, describe_scope

START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def sample() -> tuple[Incident, Update]:
    scope = Scope(
        components=["Checkout API"], regions=["eu-west"], affected_fraction=0.012,
        affected_count=1843, customers="merchants",
    )  # fmt: skip
    update = Update(
        id="inc-1.2", incident_id="inc-1", seq=2, kind=UpdateKind.UPDATE,
        status=Status.IDENTIFIED, previous_status=Status.INVESTIGATING, impact=Impact.MAJOR,
        scope=scope, message="Card payments in eu-west fail with HTTP 503.",
        cause="a load balancer change sent traffic to servers out of service",
        next_update_by=START + timedelta(minutes=30), created_at=START,
    )  # fmt: skip
    incident = Incident(
        id="inc-1", title="Checkout API failing in eu-west", status=Status.IDENTIFIED,
        impact=Impact.MAJOR, scope=scope, started_at=START - timedelta(minutes=20),
        created_at=START - timedelta(minutes=20), updated_at=START,
        next_update_by=update.next_update_by, version=2, updates=(update,),
    )  # fmt: skip
    return incident, update


def rate(work: object, seconds: float) -> float:
    assert callable(work)
    for _ in range(200):  # warm up caches and compiled templates
        work()
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            work()
        count += 100
    return count / elapsed


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    incident, update = sample()
    renderer = Renderer()
    capabilities = Capabilities(form=Form.SHORT, max_length=500)

    def candor_message() -> None:
        message = renderer.render(incident, update, channel="x", capabilities=capabilities)
        check(message.text, incident=incident, status=update.status)

    source = renderer.env.loader.get_source(renderer.env, "short/identified.j2")[0]  # type: ignore[union-attr]
    raw = jinja2.Environment(undefined=jinja2.StrictUndefined)
    raw.filters.update(at=renderer.at, day=renderer.day, sentence=lambda t: t)
    template = raw.from_string(source)
    context = {
        "incident": incident, "update": update, "message": update.message,
        "facts": describe_scope(update.scope), "cause": update.cause, "url": None,
    }  # fmt: skip

    def raw_render() -> None:
        template.render(context)

    ours = rate(candor_message, seconds)
    anchor = rate(raw_render, seconds)
    print(f"candor render + check: {ours:10,.0f} messages/s (target >= 5,000)")
    print(f"raw Jinja2 render:     {anchor:10,.0f} messages/s (anchor)")
    print(f"ratio:                 {ours / anchor:10.2f}")


if __name__ == "__main__":
    main()
