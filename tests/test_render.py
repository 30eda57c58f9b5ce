"""Every default message states the scope precisely, never minimises, and keeps its promise."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from candor import Capabilities, Form, Incident, Organization, Scope, Status, TemplateError, Update
from candor.model import Impact, UpdateKind
from candor.render import Renderer, describe_scope, format_fraction
from tests.conftest import START

MINIMISING = re.compile(
    r"\b(only|just|a small number of|a subset of|minor|brief|slight(ly)?|limited|"
    r"some users may|any inconvenience)\b",
    re.IGNORECASE,
)


def make(
    status: Status,
    scope: Scope,
    *,
    cause: str | None = None,
    message: str = "Requests return HTTP 503.",
    kind: UpdateKind = UpdateKind.UPDATE,
    postmortem: bool = False,
) -> tuple[Incident, Update]:
    final = status is Status.RESOLVED
    update = Update(
        id="inc-1.2",
        incident_id="inc-1",
        seq=2,
        kind=UpdateKind.RESOLVE if final else kind,
        status=status,
        previous_status=Status.INVESTIGATING,
        impact=Impact.MAJOR,
        scope=scope,
        message=message,
        cause=cause,
        next_update_by=None if final else START + timedelta(minutes=30),
        postmortem_by=START + timedelta(days=3) if postmortem else None,
        created_at=START,
    )
    incident = Incident(
        id="inc-1",
        title="API failing",
        status=status,
        impact=Impact.MAJOR,
        scope=scope,
        started_at=START - timedelta(minutes=20),
        created_at=START - timedelta(minutes=20),
        updated_at=START,
        version=2,
        updates=(update,),
    )
    return incident, update


SHORT = Capabilities(form=Form.SHORT, max_length=500)
SCOPE = Scope(components=["API"], regions=["eu-west"], affected_fraction=0.012, affected_count=1204)


class TestScopeWords:
    @pytest.mark.parametrize(
        ("fraction", "text"),
        [(0.012, "1.2%"), (0.001, "0.1%"), (0.5, "50%"), (1.0, "100%"), (0.0005, "0.05%"),
         (0.99999, "99.999%"), (0.333333, "33%"), (1e-7, "1e-05%")],
    )  # fmt: skip
    def test_fractions_are_never_rounded_to_nothing_or_everything(
        self, fraction: float, text: str
    ) -> None:
        assert format_fraction(fraction) == text

    def test_fraction_and_count_are_both_stated(self) -> None:
        words = describe_scope(SCOPE)
        assert words["what"] == "API is down in eu-west"
        assert words["who"] == "1.2% of our customers (1,204 customers)"
        assert "not working for you" in words["for_you"]

    def test_an_unknown_size_is_said_to_be_unknown(self) -> None:
        assert "do not yet know how many" in describe_scope(Scope(components=["API"]))["who"]

    def test_everyone_is_told_it_is_everyone(self) -> None:
        words = describe_scope(Scope(components=["API", "Dashboard"], affected_fraction=1))
        assert words["what"] == "API and Dashboard are down"
        assert words["who"] == "all of our customers"

    def test_degraded_says_slow_and_failing(self) -> None:
        words = describe_scope(Scope(components=["API"], effect="degraded", customers="users"))
        assert "slow" in words["what"]
        assert "users" in words["who"]


scopes = st.builds(
    Scope,
    components=st.lists(st.sampled_from(["API", "Dashboard", "Webhooks"]), min_size=1,
                        max_size=3, unique=True),
    regions=st.lists(st.sampled_from(["eu-west", "us-east"]), max_size=2, unique=True),
    affected_fraction=st.none() | st.floats(min_value=0.001, max_value=1.0),
    affected_count=st.none() | st.integers(min_value=0, max_value=10_000_000),
    effect=st.sampled_from(["outage", "degraded"]),
)  # fmt: skip


class TestDefaultPack:
    @settings(max_examples=60, deadline=None)
    @given(
        scope=scopes,
        status=st.sampled_from(list(Status)),
        form=st.sampled_from(list(Form)),
        cause=st.none() | st.just("an expired TLS certificate"),
    )
    def test_every_rendering_states_scope_and_promises_the_next_update(
        self, scope: Scope, status: Status, form: Form, cause: str | None
    ) -> None:
        incident, update = make(status, scope, cause=cause)
        capabilities = Capabilities(form=form, max_length=500 if form is Form.SHORT else None)
        text = Renderer().render(incident, update, channel="c", capabilities=capabilities).text
        assert describe_scope(scope)["components"] in text
        if scope.everyone:
            assert "all of our customers" in text
        elif scope.affected_fraction is not None:
            assert format_fraction(scope.affected_fraction) in text
        if scope.affected_count is not None:
            assert f"{scope.affected_count:,}" in text
        if status is Status.RESOLVED:
            assert "Next update" not in text
        else:
            assert "Next update by 14:30 UTC" in text
        assert not MINIMISING.search(text), text
        assert "{" not in text
        assert "}" not in text
        if form is Form.SHORT:
            assert len(text) <= 500

    def test_a_resolution_says_cause_duration_write_up_and_a_specific_apology(self) -> None:
        incident, update = make(Status.RESOLVED, SCOPE, cause="an expired certificate",
                                postmortem=True)  # fmt: skip
        text = Renderer().render(incident, update, channel="c").text
        assert "What caused it: an expired certificate." in text
        assert "from 13:40 UTC to 14:00 UTC" in text
        assert "write-up by 25 November 2026" in text
        assert "sorry" in text
        assert "inconvenience" not in text

    def test_a_resolution_without_a_cause_says_so(self) -> None:
        incident, update = make(Status.RESOLVED, SCOPE)
        assert (
            "not yet established the cause" in Renderer().render(incident, update, channel="c").text
        )

    def test_a_reopened_incident_says_it_was_wrongly_resolved(self) -> None:
        incident, update = make(Status.INVESTIGATING, SCOPE, kind=UpdateKind.REOPEN)
        long = Renderer().render(incident, update, channel="c").text
        short = Renderer().render(incident, update, channel="c", capabilities=SHORT).text
        assert "reopened" in long
        assert short.startswith("Reopened:")

    def test_times_are_in_the_organisations_zone(self) -> None:
        incident, update = make(Status.IDENTIFIED, SCOPE)
        renderer = Renderer(Organization(timezone="Europe/Paris"))
        assert "Next update by 15:30 CET" in renderer.render(incident, update, channel="c").text

    def test_short_messages_link_the_incident_page(self) -> None:
        incident, update = make(Status.IDENTIFIED, SCOPE)
        renderer = Renderer(Organization(status_page_url="https://status.example/"))
        message = renderer.render(incident, update, channel="c", capabilities=SHORT)
        assert message.text.endswith("https://status.example/incidents/inc-1.html")
        assert message.url == "https://status.example/incidents/inc-1.html"


class TestFitting:
    def test_a_long_message_is_cut_but_the_facts_and_promise_stay(self) -> None:
        incident, update = make(Status.IDENTIFIED, SCOPE, message="word " * 400)
        text = Renderer().render(incident, update, channel="c", capabilities=SHORT).text
        assert len(text) <= 500
        assert "…" in text
        assert "1.2% of our customers" in text
        assert text.endswith("Next update by 14:30 UTC.")

    def test_facts_that_cannot_fit_are_an_error_not_a_silent_cut(self) -> None:
        incident, update = make(Status.IDENTIFIED, SCOPE)
        tiny = Capabilities(form=Form.SHORT, max_length=40)
        with pytest.raises(TemplateError, match="40 characters"):
            Renderer().render(incident, update, channel="c", capabilities=tiny)


class TestCustomTemplates:
    def test_a_template_of_your_own_overrides_one_file(self, tmp_path: Path) -> None:
        (tmp_path / "short").mkdir()
        (tmp_path / "short" / "identified.j2").write_text(
            "{{ organization.name }}: {{ facts.what }}. Next: {{ update.next_update_by | at }}"
        )
        incident, update = make(Status.IDENTIFIED, SCOPE)
        renderer = Renderer(Organization(name="Acme"), templates_dir=tmp_path)
        short = renderer.render(incident, update, channel="c", capabilities=SHORT).text
        assert short == "Acme: API is down in eu-west. Next: 14:30 UTC"
        assert "We have found the cause" in renderer.render(incident, update, channel="c").text

    def test_a_missing_variable_names_the_template_and_the_variable(self, tmp_path: Path) -> None:
        (tmp_path / "long").mkdir()
        (tmp_path / "long" / "identified.j2").write_text("Hello {{ customer_name }}")
        incident, update = make(Status.IDENTIFIED, SCOPE)
        with pytest.raises(TemplateError) as caught:
            Renderer(templates_dir=tmp_path).render(incident, update, channel="c")
        assert caught.value.template == "long/identified.j2"
        assert caught.value.variable == "customer_name"
        assert "long/identified.j2" in str(caught.value)
        assert "customer_name" in str(caught.value)

    def test_a_missing_attribute_is_named_too(self, tmp_path: Path) -> None:
        (tmp_path / "long").mkdir()
        (tmp_path / "long" / "identified.j2").write_text("{{ update.eta }}")
        incident, update = make(Status.IDENTIFIED, SCOPE)
        with pytest.raises(TemplateError) as caught:
            Renderer(templates_dir=tmp_path).render(incident, update, channel="c")
        assert caught.value.variable == "eta"

    def test_user_templates_are_sandboxed(self, tmp_path: Path) -> None:
        (tmp_path / "long").mkdir()
        (tmp_path / "long" / "identified.j2").write_text(
            "{{ update.__class__.__mro__[1].__subclasses__() }}"
        )
        incident, update = make(Status.IDENTIFIED, SCOPE)
        with pytest.raises(TemplateError):
            Renderer(templates_dir=tmp_path).render(incident, update, channel="c")

    def test_a_syntax_error_names_the_template_and_line(self, tmp_path: Path) -> None:
        (tmp_path / "long").mkdir()
        (tmp_path / "long" / "identified.j2").write_text("ok\n{% if %}")
        incident, update = make(Status.IDENTIFIED, SCOPE)
        with pytest.raises(TemplateError, match=r"long/identified.j2.*line 2"):
            Renderer(templates_dir=tmp_path).render(incident, update, channel="c")


def test_a_broken_template_of_your_own_fails_when_the_communicator_is_built(
    tmp_path: Path,
) -> None:
    import candor

    (tmp_path / "templates" / "chat").mkdir(parents=True)
    (tmp_path / "templates" / "chat" / "monitoring.j2").write_text("{% if %}")
    with pytest.raises(TemplateError, match=r"chat/monitoring.j2.*line 1"):
        candor.Communicator([], store=tmp_path / "c.db", templates_dir=tmp_path / "templates")
    assert not (tmp_path / "c.db").exists()
