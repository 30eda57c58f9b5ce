"""Messages that read right: each wording slip found by rendering, and the render matrix read.

Every test here renders a message and fails on the text the slip produced.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from candor import Capabilities, Form, Incident, Scope, Status, Update
from candor.checks import check
from candor.model import Effect, Impact, UpdateKind, WriteUp
from candor.render import Renderer, describe_scope, is_plural
from tests.conftest import START

LONG = Capabilities(form=Form.LONG)
SHORT = Capabilities(form=Form.SHORT)
CHAT = Capabilities(form=Form.CHAT)


def render(
    status: Status,
    scope: Scope,
    *,
    form: Form = Form.LONG,
    kind: UpdateKind | None = None,
    cause: str | None = None,
    changed: str | None = None,
    message: str = "Requests return HTTP 503.",
    next_update_by: object = None,
    promised_by: object = None,
    created_at: object = None,
    max_length: int | None = None,
) -> str:
    incident, update = planned(
        status,
        scope,
        kind=kind,
        cause=cause,
        changed=changed,
        message=message,
        next_update_by=next_update_by,
        promised_by=promised_by,
        created_at=created_at,
    )
    capabilities = Capabilities(form=form, max_length=max_length)
    return Renderer().render(incident, update, channel="c", capabilities=capabilities).text


def planned(
    status: Status,
    scope: Scope,
    *,
    kind: UpdateKind | None = None,
    cause: str | None = None,
    changed: str | None = None,
    message: str = "Requests return HTTP 503.",
    next_update_by: object = None,
    promised_by: object = None,
    created_at: object = None,
) -> tuple[Incident, Update]:
    final = status is Status.RESOLVED
    at = created_at or START
    chosen = kind or (UpdateKind.RESOLVE if final else UpdateKind.UPDATE)
    update = Update(
        id="inc-1.2",
        incident_id="inc-1",
        seq=2,
        kind=chosen,
        status=status,
        previous_status=Status.INVESTIGATING,
        impact=Impact.MAJOR,
        scope=scope,
        message=message,
        cause=cause,
        changed=changed if final else None,
        next_update_by=None if final else (next_update_by or at + timedelta(minutes=30)),
        promised_by=promised_by if chosen is not UpdateKind.POSTMORTEM else None,
        write_up=WriteUp(summary=message, what_happened="It broke.", what_we_are_doing="Fixing.")
        if chosen is UpdateKind.POSTMORTEM
        else None,
        created_at=at,
    )
    incident = Incident(
        id="inc-1",
        title="Trouble",
        status=status,
        impact=Impact.MAJOR,
        scope=scope,
        started_at=START - timedelta(minutes=20),
        created_at=START - timedelta(minutes=20),
        updated_at=at,
        version=2,
        updates=(update,),
    )
    return incident, update


WEBHOOKS = Scope(components=["Webhooks"])


class TestTheSlips:
    def test_a_plural_component_name_takes_a_plural_verb(self) -> None:
        text = render(Status.INVESTIGATING, Scope(components=["Webhooks"], effect="degraded"))
        assert "Webhooks is" not in text
        assert text.startswith("Webhooks are slow")
        resolved = render(Status.RESOLVED, WEBHOOKS)
        assert "Webhooks are working again. They were down" in resolved
        assert "while they were down" in resolved

    def test_names_that_end_in_s_but_are_not_plurals_stay_singular(self) -> None:
        for name in ("Status", "DNS", "Kubernetes", "Analysis", "iOS", "API"):
            assert not is_plural((name,)), name
        for name in ("Webhooks", "Git Operations", "APIs", "Payments"):
            assert is_plural((name,)), name
        assert is_plural(("API", "Dashboard"))

    def test_everyone_is_addressed_once_not_for_you_twice(self) -> None:
        text = render(Status.IDENTIFIED, Scope(components=["API"], affected_fraction=1.0))
        assert "For every one of you, API is not working at all." in text
        assert "for you at all" not in text
        one_of_them = render(Status.IDENTIFIED, Scope(components=["API"], affected_fraction=0.1))
        assert "If you are one of them, API is not working for you at all." in one_of_them

    def test_the_long_and_short_form_of_one_update_share_the_tense(self) -> None:
        long = render(Status.MONITORING, WEBHOOKS)
        short = render(Status.MONITORING, WEBHOOKS, form=Form.SHORT)
        assert "Webhooks are down" in long
        assert "Webhooks are down" in short
        assert "was down" not in short
        assert "were down" not in short

    def test_the_cause_is_said_found_only_when_it_is_named(self) -> None:
        for kind in (UpdateKind.UPDATE, UpdateKind.HOLDING):
            text = render(
                Status.IDENTIFIED, WEBHOOKS, kind=kind, promised_by=START - timedelta(minutes=1)
            )
            assert "found the cause" not in text, kind
            named = render(
                Status.IDENTIFIED,
                WEBHOOKS,
                kind=kind,
                cause="an expired certificate",
                promised_by=START - timedelta(minutes=1),
            )
            assert "We have found the cause: an expired certificate." in named

    def test_labelled_lines_are_capitalised_alike(self) -> None:
        text = render(
            Status.RESOLVED,
            WEBHOOKS,
            cause="an expired certificate",
            changed="We renewed it",
        )
        assert "What caused it: An expired certificate." in text
        assert "What we changed: We renewed it." in text
        kept = render(Status.RESOLVED, WEBHOOKS, cause="iOS builds flooded the queue")
        assert "What caused it: iOS builds flooded the queue." in kept

    def test_a_holding_update_for_a_promise_days_old_gives_its_date(self) -> None:
        text = render(
            Status.INVESTIGATING,
            WEBHOOKS,
            kind=UpdateKind.HOLDING,
            promised_by=START - timedelta(days=2, hours=1),
        )
        assert "We promised an update by 13:00 UTC on 20 November 2026" in text
        assert "this one is 2 days 1 hour late" in text
        today = render(
            Status.INVESTIGATING,
            WEBHOOKS,
            kind=UpdateKind.HOLDING,
            promised_by=START - timedelta(minutes=104),
        )
        assert "We promised an update by 12:16 UTC, and this one is 1 hour 44 minutes late" in (
            today
        )
        short = render(
            Status.INVESTIGATING,
            WEBHOOKS,
            kind=UpdateKind.HOLDING,
            form=Form.SHORT,
            promised_by=START - timedelta(seconds=20),
        )
        assert "(under a minute late)" in short
        assert "0 minutes" not in short

    def test_a_promise_is_shown_rounded_up_never_earlier(self) -> None:
        due = START + timedelta(minutes=10, seconds=54)
        incident, update = planned(Status.IDENTIFIED, WEBHOOKS, next_update_by=due)
        incident = incident.model_copy(update={"next_update_by": due})
        for capabilities in (LONG, SHORT, CHAT):
            text = Renderer().render(incident, update, channel="c", capabilities=capabilities)
            assert "Next update by 14:11 UTC" in text.text
            assert "14:10" not in text.text
            # the check agrees with the rounded time: our own text passes it
            codes = {f.code for f in check(text.text, incident=incident) if f.is_error}
            assert "contradicts-incident" not in codes
        early = check("We are working on it. Next update by 14:10 UTC.", incident=incident)
        assert any(f.code == "contradicts-incident" for f in early)

    def test_a_next_update_on_another_day_gives_its_date(self) -> None:
        text = render(
            Status.IDENTIFIED, WEBHOOKS, next_update_by=START + timedelta(days=1, minutes=5)
        )
        assert "Next update by 14:05 UTC on 23 November 2026" in text

    def test_the_chat_resolution_keeps_its_sentences_apart(self) -> None:
        text = render(Status.RESOLVED, WEBHOOKS, form=Form.CHAT)
        assert "have.We" not in text
        assert not re.search(r"[a-z]\.[A-Z]", text)

    def test_a_degraded_effect_is_never_said_to_be_down(self) -> None:
        scope = Scope(components=["Webhooks"], effect="degraded")
        for status in Status:
            for form in (Form.LONG, Form.SHORT, Form.CHAT):
                text = render(status, scope, form=form, message="Deliveries are delayed.")
                assert "not working" not in text
                assert " down" not in text
                assert "failing requests" not in text


class TestTheEffectAndTheTextAgree:
    def test_a_degraded_incident_said_not_to_work_at_all_is_an_error(self) -> None:
        incident, _ = planned(Status.IDENTIFIED, Scope(components=["Webhooks"], effect="degraded"))
        found = check(
            "Webhooks are not working at all. Next update by 14:30 UTC.", incident=incident
        )
        assert [f.code for f in found if f.is_error] == ["contradicts-incident"]
        assert "degraded" in found[0].message

    def test_an_outage_told_only_as_a_delay_is_an_error(self) -> None:
        incident, update = planned(
            Status.IDENTIFIED, WEBHOOKS, message="Webhook deliveries are delayed by 10 minutes."
        )
        text = Renderer().render(incident, update, channel="c").text
        found = [f for f in check(text, incident=incident) if f.code == "contradicts-incident"]
        assert found
        assert found[0].excerpt == "delayed"
        assert "--degraded" in found[0].suggestion

    def test_an_outage_whose_message_says_what_fails_passes(self) -> None:
        incident, update = planned(
            Status.IDENTIFIED,
            WEBHOOKS,
            message="Deliveries fail with HTTP 503; the rest are delayed.",
        )
        text = Renderer().render(incident, update, channel="c").text
        assert not [f for f in check(text, incident=incident) if f.code == "contradicts-incident"]

    def test_every_default_rendering_agrees_with_its_own_effect(self) -> None:
        for effect in Effect:
            scope = Scope(components=["Webhooks"], effect=effect)
            for status in Status:
                incident, update = planned(status, scope, message="Requests fail with HTTP 503.")
                for capabilities in (LONG, SHORT, CHAT):
                    text = (
                        Renderer()
                        .render(incident, update, channel="c", capabilities=capabilities)
                        .text
                    )
                    codes = [
                        f.message
                        for f in check(text, incident=incident)
                        if f.code == "contradicts-incident"
                    ]
                    assert not codes, (effect, status, text)


# -- the render matrix, read for agreement ---------------------------------------------

NAMES = st.sampled_from(["API", "Webhooks", "Checkout API", "Git Operations", "DNS", "Status"])
matrix_scopes = st.builds(
    Scope,
    components=st.lists(NAMES, min_size=1, max_size=3, unique=True),
    regions=st.lists(st.sampled_from(["eu-west", "us-east"]), max_size=2, unique=True),
    affected_fraction=st.none() | st.sampled_from([0.012, 0.5, 1.0]),
    affected_count=st.none() | st.sampled_from([1, 1843]),
    effect=st.sampled_from(list(Effect)),
)
KINDS = {
    Status.INVESTIGATING: [UpdateKind.UPDATE, UpdateKind.REOPEN, UpdateKind.HOLDING],
    Status.IDENTIFIED: [UpdateKind.UPDATE, UpdateKind.HOLDING],
    Status.MONITORING: [UpdateKind.UPDATE, UpdateKind.HOLDING],
    Status.RESOLVED: [UpdateKind.RESOLVE, UpdateKind.POSTMORTEM],
}
VERB = re.compile(r"\b(is|are|was|were)\b")
STATE = re.compile(r"\b(is|are|was|were) (?:down|slow or unreliable)\b")
# The pronoun that stands for the components, in the sentence that says what they suffered.
PRONOUN = re.compile(r"\b(it|they|It|They) (is|are|was|were) (?:down|slow or unreliable)\b")


class TestTheRenderMatrix:
    """Every status × form × scope × effect × kind, read sentence by sentence."""

    @settings(max_examples=300, deadline=None)
    @given(
        scope=matrix_scopes,
        status=st.sampled_from(list(Status)),
        form=st.sampled_from([Form.LONG, Form.SHORT, Form.CHAT]),
        pick=st.integers(min_value=0, max_value=2),
        cause=st.none() | st.just("an expired certificate"),
    )
    def test_number_and_tense_agree_with_the_facts(
        self, scope: Scope, status: Status, form: Form, pick: int, cause: str | None
    ) -> None:
        kinds = KINDS[status]
        kind = kinds[pick % len(kinds)]
        text = render(
            status,
            scope,
            form=form,
            kind=kind,
            cause=cause,
            message="Requests return HTTP 503.",
            promised_by=START - timedelta(minutes=3),
        )
        facts = describe_scope(scope)
        plural = is_plural(scope.components)
        components = facts["components"]
        # number: every verb after the components, and after the pronoun that stands for them
        for match in re.finditer(
            re.escape(components) + r"(?: in [\w, -]+?)? " + VERB.pattern, text
        ):
            verb = match.group(1)
            assert (verb in {"are", "were"}) == plural, (verb, components, text)
        for match in PRONOUN.finditer(text):
            pronoun, verb = match.group(1).lower(), match.group(2)
            if pronoun == "they":
                assert plural, text
                assert verb in {"are", "were"}, text
            else:
                assert not plural, (components, text)
                assert verb in {"is", "was"}, text
        # tense: what customers suffered is past once resolved, present before
        for match in STATE.finditer(text):
            verb = match.group(1)
            if status is Status.RESOLVED:
                assert verb in {"was", "were"}, (status, text)
            else:
                assert verb in {"is", "are"}, (status, text)
        # the facts, said once, and right
        assert "for you at all" not in text or not scope.everyone
        assert text.count("for you") <= 1 or "tell us" in text
        if scope.effect is Effect.DEGRADED:
            assert "not working" not in text
            assert " down" not in text
        if "found the cause" in text:
            assert cause is not None
            assert f"found the cause: {cause}" in text
        assert "  " not in text
        assert not re.search(r"[a-z]\.[A-Z]", text)


class TestTheStatusPage:
    def test_the_scope_is_said_once_not_atop_every_timeline_entry(self, tmp_path: Path) -> None:
        from candor.demo import run_demo

        made = run_demo(tmp_path, quiet=True)
        page = made["incident"].read_text()
        # The facts block says it once; the entries that opened with it no longer repeat it.
        assert page.count("Checkout API was down in eu-west, for 1.2% of our merchants") == 1
        assert "If you are one of them" not in page
        assert "Payments that failed were not charged" in page  # the entries keep their news

    def test_an_entry_from_before_the_scope_changed_keeps_its_scope(self, tmp_path: Path) -> None:
        from candor.adapters.static_site.html import _entry_text
        from candor.adapters.static_site.record import Entry, SiteIncident

        then = Scope(components=["API"], affected_fraction=0.1)
        now = Scope(components=["API"], affected_fraction=0.3)
        lead = describe_scope(then)["lead"]
        entry = Entry(
            id="inc-1.1",
            seq=1,
            status=Status.INVESTIGATING,
            impact=Impact.MAJOR,
            scope=then,
            text=f"{lead}\n\nRequests fail.",
            created_at=START,
        )
        incident = SiteIncident(
            id="inc-1",
            title="T",
            status=Status.INVESTIGATING,
            impact=Impact.MAJOR,
            scope=now,
            started_at=START,
            created_at=START,
            version=2,
            updates={entry.id: entry},
        )
        assert _entry_text(entry, incident) == entry.text
        same = incident.model_copy(update={"scope": then})
        assert _entry_text(entry, same) == "Requests fail."
