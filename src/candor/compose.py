"""Composing an update: one checked message per channel, the check guard, and the outbox rows.

This is what the facade does between deciding an incident's next state
(:mod:`candor.lifecycle`) and recording it: render the newest update for every
channel from the same facts, check each text, refuse check errors that were
not allowed (recording the override of those that were, with who and why), and
make the outbox rows the store writes in the same transaction as the update.
Nothing here does I/O.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Collection, Iterable, Mapping, Sequence

from candor import lifecycle
from candor.checks import check, rules
from candor.errors import CheckError, InputError
from candor.log import get_logger
from candor.model import Incident, Override, check_text, clean_text
from candor.render import Renderer
from candor.typing import Addressees
from candor.vocabulary import (
    Audience,
    Capabilities,
    Channel,
    Message,
    OutboxItem,
    Recipient,
    Subscriber,
    idempotency_key,
)

__all__ = ["actor", "compose", "guard", "outbox", "recipients", "warned"]

log = get_logger("candor")


def compose(
    incident: Incident,
    channels: Mapping[str, Channel],
    capabilities: Mapping[str, Capabilities],
    renderer: Renderer,
) -> list[Message]:
    """One message per channel for the incident's newest update, each with its findings.

    ``capabilities`` are each channel's (an unconfigured channel's are what its
    adapter declares, so that its owed message fits the service once it goes).
    """
    update = incident.updates[-1]
    messages = []
    # Channels that take the same form, limit and audience get the same text: render
    # and check it once (a fan-out to 200 webhooks renders one message, not 200).
    done: dict[tuple[object, ...], Message] = {}
    for name, channel in channels.items():
        fits = capabilities[name]
        public = channel.audience is Audience.PUBLIC
        key = (fits.form, fits.max_length, fits.length_unit, public)
        if key not in done:
            message = renderer.render(incident, update, channel=name, capabilities=fits)
            # A correction is checked as the update it corrects: its status is that one's.
            findings = check(
                message.text, incident=incident, status=message.status, channel=name, public=public
            )
            done[key] = message.model_copy(update={"findings": tuple(findings)})
        messages.append(done[key].model_copy(update={"channel": name}))
    return messages


def guard(
    incident: Incident,
    messages: list[Message],
    allow: Iterable[str],
    reason: str | None,
    *,
    by: str | None,
) -> Incident:
    """Raise CheckError on any error not allowed; record an override that was used, by ``by``."""
    if isinstance(allow, str) or not isinstance(allow, Iterable):
        raise InputError("allow", allow, "give a list of check codes, such as ['fix-time']")
    given = tuple(allow)
    for code in given:
        if not isinstance(code, str):
            raise InputError("allow", code, "every check code must be a string, such as 'fix-time'")
    allowed = tuple(dict.fromkeys(given))
    known = {rule.code for rule in rules()}
    for code in allowed:
        if code not in known:
            raise InputError("allow", code, f"unknown check; known: {', '.join(sorted(known))}")
    if allowed and (not isinstance(reason, str) or not reason.strip()):
        raise InputError("reason", reason, "allowing a check needs a reason, for the record")
    if allowed:
        assert reason is not None
        check_text(reason.strip(), "reason")
    blocking = [(m.channel, f) for m in messages for f in m.errors if f.code not in allowed]
    if blocking:
        raise CheckError(blocking)
    warned(incident, messages)
    used = [(m.channel, f) for m in messages for f in m.errors if f.code in allowed]
    if not used:
        return incident
    assert reason is not None
    override = Override(
        codes=tuple(sorted({f.code for _, f in used})),
        reason=reason.strip(),
        by=by,
        findings=tuple(f"{channel}: {f.code}: {f.excerpt}" for channel, f in used),
    )
    log.warning(
        "check_overridden",
        incident_id=incident.id,
        seq=incident.updates[-1].seq,
        codes=list(override.codes),
        reason=override.reason,
        by=override.by,
    )
    return lifecycle.overridden(incident, override)


def warned(incident: Incident, messages: Iterable[Message]) -> None:
    """Log each check warning of the update being recorded once, with the channels it is on.

    Warnings never block; this is where the library and the CLI (which prints
    warnings to standard error) say them: "check_warning" with the rule's code.
    """
    seen: dict[tuple[str, str], list[str]] = {}
    for message in messages:
        for finding in message.findings:
            if not finding.is_error:
                seen.setdefault((finding.code, finding.message), []).append(message.channel)
    for (code, text), channels in seen.items():
        log.warning(
            "check_warning",
            incident_id=incident.id,
            seq=incident.updates[-1].seq,
            code=code,
            finding=text,
            channels=channels,
        )


def recipients(
    incident: Incident,
    adapter: Addressees,
    subscribers: Sequence[Subscriber],
    told: Collection[str],
) -> tuple[Recipient, ...]:
    """Who a channel that tells people one by one gives the incident's newest update.

    Its fixed recipients; then, when it includes subscribers, every confirmed one
    it told of this incident before (whatever the scope says now: who heard the
    start hears the end), then every other confirmed one whose filter matches the
    incident's scope. ``subscribers`` are the confirmed ones, so who unsubscribed
    is left out; ``told`` the addresses on the channel's earlier ledgers.
    """
    chosen: dict[str, Recipient] = {}
    for address in adapter.fixed_recipients:
        chosen.setdefault(address.casefold(), Recipient(address=address))
    if adapter.include_subscribers:
        confirmed = {s.address.casefold(): s for s in subscribers if s.confirmed}
        earlier = [confirmed[a.casefold()] for a in told if a.casefold() in confirmed]
        matching = [s for s in confirmed.values() if s.matches(incident.scope)]
        for subscriber in (*earlier, *matching):
            chosen.setdefault(
                subscriber.address.casefold(),
                Recipient(address=subscriber.address, subscriber=True),
            )
    return tuple(chosen.values())


def outbox(
    incident: Incident,
    messages: list[Message],
    people: Mapping[str, tuple[Recipient, ...]] | None = None,
) -> list[OutboxItem]:
    """One outbox row per message of the incident's newest update, keyed for idempotency.

    ``people`` gives, for a channel that tells people one by one, its recipients
    (:func:`recipients`).
    """
    update = incident.updates[-1]
    people = people or {}
    return [
        OutboxItem(
            incident_id=incident.id,
            update_id=update.id,
            seq=update.seq,
            channel=message.channel,
            idempotency_key=idempotency_key(incident.id, update.id, message.channel),
            message=message,
            created_at=update.created_at,
            recipients=people.get(message.channel, ()),
        )
        for message in messages
    ]


def actor() -> str | None:
    """Who is running this, for the record of an override: $CANDOR_ACTOR, else the OS user."""
    try:
        who = os.environ.get("CANDOR_ACTOR") or getpass.getuser()
    except (OSError, KeyError):  # no user name on this system
        return None
    # Read from the environment, not typed in: made acceptable rather than refused.
    return clean_text(who, "by")
