"""Every default message states the scope precisely, never minimises, and keeps its promise."""

from __future__ import annotations

import re
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from candor import (
    Capabilities,
    Form,
    Incident,
    Organization,
    Scope,
    Status,
    TemplateError,
    TemplateLimits,
    Update,
)
from candor.length import measure
from candor.model import Impact, UpdateKind
from candor.render import Renderer, describe_scope, format_fraction
from candor.vocabulary import LengthUnit
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
        assert "What caused it: An expired certificate." in text
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
        incident, update = make(Status.IDENTIFIED, SCOPE, message="Payments fail. " * 40)
        text = Renderer().render(incident, update, channel="c", capabilities=SHORT).text
        assert len(text) <= 500
        assert "Payments fail. Next update by" in text
        assert "1.2% of our customers" in text
        assert text.endswith("Next update by 14:30 UTC.")

    def test_a_short_form_is_fitted_by_whole_clauses_never_mid_clause(self) -> None:
        # Cut at the last word that fit, this read "Card payments in eu-west fail for
        # merchants whose…": the clause was cut off in the middle.
        message = (
            "Card payments in eu-west fail for merchants whose orders go through the new "
            "gateway, and refunds are queued until it recovers. Retrying is safe."
        )
        incident, update = make(Status.IDENTIFIED, SCOPE, message=message)
        whole = Renderer().render(incident, update, channel="c", capabilities=UNLIMITED).text
        for limit in range(len(whole) - 40, len(whole)):
            tight = Capabilities(form=Form.SHORT, max_length=limit)
            text = Renderer().render(incident, update, channel="c", capabilities=tight).text
            kept = text.split("(1,204 customers). ")[1].split(" Next update by")[0]
            assert kept in {
                "Card payments in eu-west fail for merchants whose orders go through the new "
                "gateway, and refunds are queued until it recovers.",
                "Card payments in eu-west fail for merchants whose orders go through the new "
                "gateway…",
            }, kept

    def test_a_message_with_no_clause_that_fits_is_left_out_not_cut(self) -> None:
        incident, update = make(Status.IDENTIFIED, SCOPE, message="word " * 400)
        text = Renderer().render(incident, update, channel="c", capabilities=SHORT).text
        assert "word" not in text
        assert text.endswith("(1,204 customers). Next update by 14:30 UTC.")

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
        assert "We are working on a fix" in renderer.render(incident, update, channel="c").text

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


def shortenings(message: str) -> list[str]:
    """Every shortening the fitting may make of ``message``, shortest first (docs/templates.md).

    Written apart from the renderer, the plain way, character by character: the message
    left out; whole sentences (up to . ! ? … before a space, or up to 。！？); whole
    clauses, their closing ", ", "; ", ": ", " — " or CJK 、，；： dropped for "…".
    Never the whole message, and never mid-clause. (The test messages hold no
    abbreviations, which the renderer also never ends a sentence after.)
    """
    found: dict[int, str] = {0: ""}
    for i, char in enumerate(message):
        nxt = message[i + 1] if i + 1 < len(message) else ""
        if (char in ".!?…" and nxt.isspace()) or (char in "。！？" and nxt not in "。！？"):
            found.setdefault(i + 1, message[: i + 1].rstrip())
        elif (char in ",;:" and nxt.isspace()) or char in "、，；：":
            found.setdefault(i, message[:i].rstrip() + "…")
        elif char in "—–-" and i > 0 and message[i - 1].isspace() and nxt.isspace():
            start = i
            while start > 0 and message[start - 1].isspace():
                start -= 1
            found.setdefault(start, message[:start].rstrip() + "…")
    return [
        text
        for end, text in sorted(found.items())
        if end < len(message) and (end == 0 or text.strip("…").strip())
    ]


fitting_words = st.sampled_from(
    ["fails", "checkout", "503", "日本語のテキスト", "é", "e\u0301", "🔥", "👍🏽",
     "@ops@example.social", "#outage", "https://status.example.com/inc-1", "\n",
     "payments.", "down,", "now;", "here:", "—", "次。", "そして、", "why?", "v1.2"]
)  # fmt: skip
unspaced_words = st.lists(
    st.sampled_from(
        ["中", "文", "a", "🔥", "@x", "#y", "https://a.example/b", "e\u0301", "。", "、"]
    ),
    min_size=1,
    max_size=30,
).map("".join)
fitting_messages = (
    st.lists(fitting_words, min_size=1, max_size=40).map(" ".join)
    | st.lists(unspaced_words, min_size=3, max_size=4).map(" ".join)  # about three words
    | unspaced_words
)


UNLIMITED = Capabilities(form=Form.SHORT)


class TestFittingKeepsTheMost:
    """The fitted message keeps the most whole sentences and clauses that fit; only it is cut."""

    @settings(max_examples=80, deadline=None)
    @given(
        message=fitting_messages,
        share=st.floats(min_value=-0.05, max_value=1.05),
        unit=st.sampled_from(list(LengthUnit)),
    )
    def test_the_longest_allowed_cut_that_fits_is_kept(
        self, message: str, share: float, unit: LengthUnit
    ) -> None:
        message = message.strip() or "x"
        incident, update = make(Status.IDENTIFIED, SCOPE, message=message)
        renderer = Renderer()

        def rendered(kept: str) -> str:
            # The renderer takes no empty message, so the message left out is rendered
            # with one that a template leaves out too.
            shortened = update.model_copy(update={"message": kept or " "})
            return renderer.render(incident, shortened, channel="c", capabilities=UNLIMITED).text

        # A limit between what the facts alone need and what the whole message needs,
        # a little past either end too.
        whole = renderer.render(incident, update, channel="c", capabilities=UNLIMITED).text
        least, most = measure(rendered(""), unit), measure(whole, unit)
        limit = max(1, least + round(share * (most - least)))
        capabilities = Capabilities(form=Form.SHORT, max_length=limit, length_unit=unit)
        try:
            text = renderer.render(incident, update, channel="c", capabilities=capabilities).text
        except TemplateError:
            text = None
        if most <= limit:
            assert text == whole
            return
        fitting = [kept for kept in shortenings(message) if measure(rendered(kept), unit) <= limit]
        if not fitting:
            assert text is None  # the facts alone do not fit: an error, never a silent cut
            return
        assert text == rendered(fitting[-1])


class TestFittingIsLinear:
    """Fitting a long message costs memory in proportion to it, not to its square."""

    @pytest.mark.parametrize("unit", list(LengthUnit))
    @pytest.mark.parametrize(
        "message",
        [
            pytest.param(
                ("Requests to the checkout API fail with HTTP 503. " * 21_000)[:1_000_000],
                id="words",
            ),
            pytest.param("中文消息没有空格" * 125_000, id="no-spaces"),
        ],
    )
    def test_a_megabyte_message_fits_in_a_small_memory(
        self, message: str, unit: LengthUnit
    ) -> None:
        incident, update = make(Status.IDENTIFIED, SCOPE)
        # Past the size limit of a message, so built without validation: fitting must not
        # depend on that limit to stay cheap.
        update = update.model_copy(update={"message": message})
        capabilities = Capabilities(form=Form.LONG, max_length=300, length_unit=unit)
        renderer = Renderer(limits=TemplateLimits(max_output=4 * len(message)))
        tracemalloc.start()
        try:
            fitted = renderer.render(incident, update, channel="c", capabilities=capabilities)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert measure(fitted.text, unit) <= 300
        if " " in message:  # whole sentences kept, and the last one whole
            assert "HTTP 503. Next update by" in fitted.text
        else:  # one clause with no end: left out rather than cut in the middle
            assert message[:4] not in fitted.text
        assert "…" not in fitted.text
        assert peak < 50 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def own_template(tmp_path: Path, source: str, name: str = "long/identified.j2") -> Path:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(source)
    return tmp_path


QUICK = TemplateLimits(timeout=0.2, max_output=10_000)


class TestTemplateLimits:
    """A template of your own that fails or runs away raises TemplateError, naming where."""

    @pytest.mark.parametrize(
        ("line", "kind"),
        [
            ("{{ 1 // 0 }}", "ZeroDivisionError"),
            ("{{ 10.0 ** 400 }}", "OverflowError"),
            ("{{ 1 + 'one' }}", "TypeError"),
            ("{{ int('x', 99) }}", ""),  # int is not a global: undefined
            ("{{ incident.title.split(None, 'x') }}", "TypeError"),
            ("{{ range(1, 10**9) | list }}", "OverflowError"),
            ("{{ incident.title | center(10**12) }}", "max_output"),
            ("{{ incident.title | indent(10**9, true) }}", "max_output"),
            ("{{ incident.title.rjust(10**9) }}", "max_output"),
            ("{{ '{:>999999999}'.format(1) }}", "max_output"),
            ("{{ '%*d' % (999999999, 1) }}", "max_output"),
            ("{{ '%0999999999d' | format(1) }}", "max_output"),
            ("{{ 'all constants, folded as it compiles' | center(10**9) }}", "max_output"),
            ("{{ range(100000) | join('x' * 999999) }}", "max_output"),
            ("{{ incident.title | replace('', 'y' * 99999) }}", "max_output"),
            ("{{ [1] | batch(10**9, 0) | list }}", "max_output"),
            ("{{ [1] | slice(10**9) | list }}", "max_output"),
            ("{{ 'x'.encode() * 10**12 }}", "max_output"),
            ("{{ 'x'.encode().ljust(10**12) }}", "max_output"),
            (
                "{% set l = [1] %}{% for i in range(64) %}{{ l.extend(l) }}{% endfor %}",
                "max_output",
            ),
        ],
    )
    def test_a_runtime_error_names_the_template_and_line(
        self, tmp_path: Path, line: str, kind: str
    ) -> None:
        folder = own_template(tmp_path, "Fine so far.\n" + line)
        incident, update = make(Status.IDENTIFIED, SCOPE)
        with pytest.raises(TemplateError) as caught:
            Renderer(templates_dir=folder, limits=QUICK).render(incident, update, channel="c")
        assert caught.value.template == "long/identified.j2"
        assert caught.value.line == 2
        assert "long/identified.j2' on line 2" in str(caught.value)
        assert kind in str(caught.value)
        assert caught.value.__cause__ is None

    @pytest.mark.parametrize(
        "source",
        [
            "{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}",
            "{% for a in range(100000) recursive %}{{ loop(range(100000)) }}{% endfor %}",
        ],
        ids=["macro", "recursive-loop"],
    )
    def test_a_template_that_calls_itself_without_end_is_refused(
        self, tmp_path: Path, source: str
    ) -> None:
        folder = own_template(tmp_path, source)
        incident, update = make(Status.IDENTIFIED, SCOPE)
        with pytest.raises(TemplateError, match="calls itself") as caught:
            Renderer(templates_dir=folder).render(incident, update, channel="c")
        assert caught.value.template == "long/identified.j2"

    @pytest.mark.parametrize(
        "source",
        [
            "{{ 'x' * 10**12 }}",
            "{{ [1] * 10**12 }}",
            "{% set n = 10**9 %}{{ 7 ** n }}",
            "{% set ns = namespace(n=7) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}"
            "{% endfor %}{{ ns.n }}",
            "{% set ns = namespace(s='xx') %}{% for i in range(64) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
            "{% set ns = namespace(s='xx') %}{% for i in range(64) %}"
            "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}",
        ],
        ids=["repeat-text", "repeat-list", "power", "squaring", "join-doubling", "add-doubling"],
    )
    def test_a_value_past_the_output_limit_is_refused_before_it_is_built(
        self, tmp_path: Path, source: str
    ) -> None:
        folder = own_template(tmp_path, source)
        incident, update = make(Status.IDENTIFIED, SCOPE)
        with pytest.raises(TemplateError, match=r"long/identified.j2' on line 1") as caught:
            Renderer(templates_dir=folder).render(incident, update, channel="c")
        assert "bits" in str(caught.value) or "max_output" in str(caught.value)

    def test_output_past_the_limit_is_refused_as_it_grows(self, tmp_path: Path) -> None:
        folder = own_template(
            tmp_path,
            "{% for a in range(100000) %}{% for b in range(100000) %}"
            "{{ incident.title }}{% endfor %}{% endfor %}",
        )
        incident, update = make(Status.IDENTIFIED, SCOPE)
        with pytest.raises(TemplateError, match=r"more than the 1,000,000 .*max_output"):
            Renderer(templates_dir=folder).render(incident, update, channel="c")

    @pytest.mark.parametrize(
        "source",
        [
            "{% for a in range(100000) %}{% for b in range(100000) %}"
            "{% for c in range(100000) %}{% endfor %}{% endfor %}{% endfor %}",
            # one range, made once: no call inside the loops to count
            "{% set r = range(100000) %}{% for a in r %}{% for b in r %}{% for c in r %}"
            "{% endfor %}{% endfor %}{% endfor %}",
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
            "{{ f(60) }}",
        ],
        ids=["nested-loops", "one-range", "branching-macro"],
    )
    def test_a_render_that_would_run_for_ever_is_refused(self, tmp_path: Path, source: str) -> None:
        folder = own_template(tmp_path, source)
        incident, update = make(Status.IDENTIFIED, SCOPE)
        renderer = Renderer(templates_dir=folder, limits=QUICK)
        with pytest.raises(TemplateError, match=r"longer than 0.2 seconds.*timeout") as caught:
            renderer.render(incident, update, channel="c")
        assert caught.value.line == 1

    def test_the_default_limit_ends_a_loop_without_end(self, tmp_path: Path) -> None:
        folder = own_template(
            tmp_path,
            "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        )
        incident, update = make(Status.IDENTIFIED, SCOPE)
        with pytest.raises(TemplateError, match="longer than 2 seconds"):
            Renderer(templates_dir=folder).render(incident, update, channel="c")

    def test_loops_still_know_their_length(self, tmp_path: Path) -> None:
        folder = own_template(
            tmp_path,
            "{% for c in scope.components %}{{ loop.index }}/{{ loop.length }} {{ c }}"
            "{% if not loop.last %}, {% endif %}{% endfor %} ~ {{ 'a' ~ 'b' }} {{ 2 * 3 }}",
        )
        incident, update = make(
            Status.IDENTIFIED, SCOPE.model_copy(update={"components": ("API", "Web")})
        )
        text = Renderer(templates_dir=folder).render(incident, update, channel="c").text
        assert text == "1/2 API, 2/2 Web ~ ab 6"

    def test_a_limit_is_checked_when_it_is_set(self) -> None:
        with pytest.raises(ValueError, match="timeout"):
            TemplateLimits(timeout=0)
        with pytest.raises(ValueError, match="max_output"):
            TemplateLimits(max_output=10)


def test_a_refused_render_stores_nothing(tmp_path: Path) -> None:
    import sqlite3

    import candor
    from candor.testing import MemoryAdapter
    from tests.conftest import api_outage

    folder = own_template(
        tmp_path / "templates",
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        name="short/identified.j2",
    )
    social = MemoryAdapter("social", capabilities=Capabilities(form=Form.SHORT, max_length=500))
    page = MemoryAdapter("page")
    channels = [
        candor.Channel(name="social", adapter=social),
        candor.Channel(name="page", adapter=page),
    ]
    with candor.Communicator(
        channels,
        store=tmp_path / "c.db",
        base_dir=tmp_path,
        templates_dir=folder,
        template_limits=TemplateLimits(timeout=0.2),
    ) as comms:
        incident = comms.open("API failing", api_outage(), "Requests return HTTP 503.")
        with pytest.raises(TemplateError, match=r"short/identified.j2' on line 1.*0.2 seconds"):
            comms.update(incident.id, status="identified", message="A bad deploy; rolling back.")
        assert comms.get(incident.id) == incident
    with sqlite3.connect(tmp_path / "c.db") as db:
        assert db.execute("SELECT COUNT(*) FROM updates").fetchone() == (1,)
        assert db.execute("SELECT COUNT(*) FROM outbox").fetchone() == (2,)  # the opening's
    assert len(social.posted) == len(page.posted) == 1
