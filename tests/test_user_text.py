"""What people type: size limits per field, no control characters, no lone surrogates.

Every entry path is asked (the facade's calls, overrides, closing, importing), and
every error names the field and stays short however long the text was.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import candor
from candor import InputError, lifecycle
from candor.model import TEXT_LIMITS, check_text, clean_text, terminal_safe, xml_safe
from candor.policy import Policy
from candor.vocabulary import Imported
from tests.conftest import START, api_outage

MEGABYTE = "x" * 1_000_000


def opened(comms: candor.Communicator) -> candor.Incident:
    return comms.open("API failing", api_outage(), "Requests to the API fail.")


def open_with(comms: candor.Communicator, **changes: Any) -> candor.Incident:
    call: dict[str, Any] = {"title": "API failing", "scope": api_outage(), "message": "It fails."}
    call.update(changes)
    return comms.open(**call)


class TestSizeLimits:
    def test_a_megabyte_title_is_refused_with_a_short_error_naming_the_limit(
        self, comms: candor.Communicator
    ) -> None:
        with pytest.raises(InputError) as refused:
            open_with(comms, title=MEGABYTE)
        assert refused.value.field == "title"
        assert "1,000,000 characters" in str(refused.value)
        assert "limit is 255" in str(refused.value)
        assert len(str(refused.value)) < 1_000
        assert comms.list() == []

    @pytest.mark.parametrize("field", ["message", "cause", "workaround"])
    def test_text_past_its_limit_is_refused_with_its_size(
        self, comms: candor.Communicator, field: str
    ) -> None:
        limit = TEXT_LIMITS[field]
        with pytest.raises(InputError) as refused:
            open_with(comms, **{field: "a" * (limit + 1)})
        assert refused.value.field == field
        assert f"{limit + 1:,} characters long; the limit is {limit:,}" in str(refused.value)
        assert len(str(refused.value)) < 1_000

    def test_text_at_its_limit_is_taken(self, comms: candor.Communicator) -> None:
        incident = open_with(comms, cause="c" * TEXT_LIMITS["cause"])
        assert incident.cause is not None
        assert len(incident.cause) == TEXT_LIMITS["cause"]

    def test_a_component_name_past_its_limit_is_refused(self, comms: candor.Communicator) -> None:
        with pytest.raises(InputError) as refused:
            open_with(comms, scope={"components": ["API", "n" * 101]})
        assert refused.value.field == "scope.components[1]"

    def test_too_many_components_are_refused(self, comms: candor.Communicator) -> None:
        with pytest.raises(InputError) as refused:
            open_with(comms, scope={"components": [f"c{n}" for n in range(51)]})
        assert refused.value.field == "scope.components"
        assert "the limit is 50" in str(refused.value)

    def test_an_update_resolution_and_write_up_are_limited_too(
        self, comms: candor.Communicator
    ) -> None:
        incident = opened(comms)
        with pytest.raises(InputError, match="limit is 10,000"):
            comms.update(incident.id, message="m" * 10_001)
        with pytest.raises(InputError) as refused:
            comms.resolve(incident.id, message="Fixed.", changed="c" * 2_001)
        assert refused.value.field == "changed"
        comms.resolve(incident.id, message="Fixed.")
        with pytest.raises(InputError) as refused:
            comms.publish_postmortem(
                incident.id,
                summary="What happened.",
                what_happened="w" * 20_001,
                what_we_are_doing="More tests.",
            )
        assert refused.value.field == "write_up.what_happened"
        assert comms.get(incident.id).version == 2

    def test_an_unknown_megabyte_id_gives_a_short_error(self, comms: candor.Communicator) -> None:
        with pytest.raises(candor.IncidentNotFound) as missing:
            comms.get(MEGABYTE)
        assert len(str(missing.value)) < 1_000
        assert missing.value.incident_id == MEGABYTE

    def test_any_long_value_gives_a_short_error(self) -> None:
        error = InputError("impact", MEGABYTE, "unknown impact")
        assert len(str(error)) < 1_000
        assert error.value == MEGABYTE  # the attribute keeps what was given
        assert len(str(InputError(MEGABYTE, "v", MEGABYTE))) < 2_000


class TestControlCharacters:
    @pytest.mark.parametrize(
        ("field", "text", "named"),
        [
            ("title", "API \x1b[31mdown", "U+001B (ESC) at character 5 (line 1, column 5)"),
            (
                "message",
                "It fails.\nReally\x07.",
                "U+0007 (BEL) at character 17 (line 2, column 7)",
            ),
            ("cause", "a\x00b", "U+0000 (NUL) at character 2"),
            ("workaround", "retry\x9b2J", "U+009B (CSI) at character 6"),
            ("message", "carriage\rreturn", "U+000D (carriage return)"),
        ],
    )
    def test_control_characters_are_refused_naming_the_field_the_character_and_where(
        self, comms: candor.Communicator, field: str, text: str, named: str
    ) -> None:
        with pytest.raises(InputError) as refused:
            open_with(comms, **{field: text})
        assert refused.value.field == field
        assert named in str(refused.value)
        assert comms.list() == []

    def test_newline_and_tab_are_fine_in_a_message(self, comms: candor.Communicator) -> None:
        incident = open_with(comms, message="Line one.\n\tLine two.")
        assert incident.updates[0].message == "Line one.\n\tLine two."

    def test_a_title_is_one_line(self, comms: candor.Communicator) -> None:
        with pytest.raises(InputError, match=r"newline.*one line of text"):
            open_with(comms, title="API\nfailing")

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"cause": "bad \ud800 half"}, "cause"),
            ({"scope": {"components": ["API\udfff"]}}, "scope.components[0]"),
            ({"scope": {"components": ["API"], "customers": "mer\ud83dchants"}}, "scope.customers"),
            ({"scope": {"components": ["API"], "regions": ["eu\x1b"]}}, "scope.regions[0]"),
        ],
    )
    def test_a_lone_surrogate_or_control_in_any_field_is_an_input_error(
        self, comms: candor.Communicator, changes: dict[str, Any], field: str
    ) -> None:
        with pytest.raises(InputError) as refused:
            open_with(comms, **changes)
        assert refused.value.field == field
        assert comms.list() == []

    def test_a_lone_surrogate_in_an_update_is_refused_and_loses_nothing(
        self, comms: candor.Communicator
    ) -> None:
        incident = opened(comms)
        with pytest.raises(InputError, match="lone surrogate"):
            comms.update(incident.id, message="Still down.", cause="disk \udc80")
        assert comms.get(incident.id) == incident

    def test_write_up_action_items_are_checked(self, comms: candor.Communicator) -> None:
        incident = opened(comms)
        comms.resolve(incident.id, message="Fixed.")
        with pytest.raises(InputError) as refused:
            comms.publish_postmortem(
                incident.id,
                summary="What happened.",
                what_happened="A disk filled.",
                what_we_are_doing="Alerts.",
                action_items=["Fine", "Bad\x1b]0;owned\x07"],
            )
        assert refused.value.field == "write_up.action_items[1]"

    def test_a_closing_reason_is_checked(self, comms: candor.Communicator) -> None:
        incident = opened(comms)
        comms.resolve(incident.id, message="Fixed.", postmortem_by="2026-12-30")
        with pytest.raises(InputError) as refused:
            comms.close_incident(incident.id, reason="no\x1bwrite-up")
        assert refused.value.field == "reason"

    def test_an_override_reason_is_checked(self, comms: candor.Communicator) -> None:
        with pytest.raises(InputError) as refused:
            comms.open(
                "API failing", api_outage(), "Only some.", allow=["minimizing"], reason="ok\x07"
            )
        assert refused.value.field == "reason"


class TestOrganization:
    def test_the_organization_name_is_one_line_of_bounded_text(self) -> None:
        with pytest.raises(InputError) as refused:
            candor.Organization(name="Acme\x1b[2J")
        assert refused.value.field == "organization.name"
        assert "U+001B (ESC)" in str(refused.value)
        with pytest.raises(InputError, match="limit is 200"):
            candor.Organization(name="A" * 201)


class TestTextAlreadyRecorded:
    def test_a_holding_update_carries_an_old_cause_as_it_is(self) -> None:
        policy = Policy()
        incident = lifecycle.open_incident(
            policy, START, title="API failing", scope=api_outage(), message="It fails."
        )
        # As an older candor could have recorded it: straight into the model, unchecked.
        old = incident.model_copy(update={"cause": "disk\x1b[2J full"})
        held = lifecycle.hold(old, policy, START.replace(minute=31))
        assert held.updates[-1].cause == "disk\x1b[2J full"


class TestRemoteText:
    def test_an_imported_incident_is_cleaned_not_refused(self) -> None:
        remote = Imported(
            remote_id="r1",
            title="Down\x1b[31m\nnow",
            status=candor.Status.INVESTIGATING,
            impact=candor.Impact.MAJOR,
            components=("API\x00",),
            message="We are \x07looking \ud800.",
            started_at=datetime(2026, 11, 22, 13, 0, tzinfo=UTC),
        )
        incident = lifecycle.import_remote(remote, "inc-1", Policy(), START)
        assert incident.title == "Down\ufffd[31m now"
        assert incident.scope.components == ("API\ufffd",)
        assert incident.updates[0].message == "We are \ufffdlooking \ufffd."

    def test_remote_text_past_its_limit_is_cut_with_an_ellipsis(self) -> None:
        cut = clean_text("n" * 400, "scope.components")
        assert len(cut) == TEXT_LIMITS["component"]
        assert cut.endswith("…")

    def test_clean_text_leaves_good_text_alone(self) -> None:
        assert clean_text("Fine text.\n\tIndented.", "message") == "Fine text.\n\tIndented."


class TestEscaping:
    def test_terminal_safe_shows_escapes_instead_of_sending_them(self) -> None:
        raw = "a\x1b[2Jb\x07c\x00d\x9be\u202ef\ud800g\nh\ti"
        assert terminal_safe(raw) == "a\\x1b[2Jb\\x07c\\x00d\\x9be\\u202ef\\ud800g\nh\ti"
        assert terminal_safe("one\nline\t", lines=False) == "one\\x0aline\\x09"

    def test_xml_safe_replaces_what_xml_cannot_hold(self) -> None:
        assert (
            xml_safe("a\x00b\x1bc\ud800d\ufffee\nf\tg\rh")
            == "a\ufffdb\ufffdc\ufffdd\ufffde\nf\tg\rh"
        )

    def test_check_text_takes_a_given_limit(self) -> None:
        with pytest.raises(InputError, match="limit is 3"):
            check_text("abcd", "note", limit=3)


# Any code point, with the troublesome ones (controls, lone surrogates, noncharacters) drawn
# often enough to matter; joined from a list, since st.text() rarely draws a surrogate.
TROUBLE = list("\x00\x07\x08\x1b\x7f\x9b\r\n\t \ud800\udbff\udc00\udfff\ufffe\uffff\u202e")
ANY_TEXT = st.lists(
    st.one_of(st.sampled_from(TROUBLE), st.characters(exclude_categories=())), max_size=300
).map("".join)
FIELDS = ["title", "message", "cause", "workaround", "component", "customers"]


class TestAnyText:
    @settings(max_examples=300, deadline=None)
    @given(
        field=st.sampled_from(FIELDS),
        text=ANY_TEXT,
    )
    def test_any_text_is_recorded_or_refused_with_a_short_input_error(
        self, field: str, text: str
    ) -> None:
        """Whatever is typed, the incident can be stored as JSON, or an InputError says why."""
        call: dict[str, Any] = {"title": "API failing", "message": "It fails."}
        scope: dict[str, Any] = {"components": ["API"]}
        if field == "component":
            scope["components"] = ["API", text]
        elif field == "customers":
            scope["customers"] = text
        else:
            call[field] = text
        refused: InputError | None = None
        try:
            incident = lifecycle.open_incident(Policy(), START, scope=scope, **call)
        except InputError as error:
            refused = error
        if refused is not None:
            assert len(str(refused)) < 1_000
        else:
            incident.model_dump_json()  # what the store writes: raises on a lone surrogate
