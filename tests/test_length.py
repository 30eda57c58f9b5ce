"""Length is counted as each service counts it, and fitting never breaks what it must not."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from candor import Capabilities, Form, Status
from candor.adapters.base import LengthUnit
from candor.adapters.mastodon import mastodon_length
from candor.length import URL, measure, weighted_length
from candor.render import Renderer
from candor.testing import _length as oracle
from candor.testing.fakes.mastodon import mastodon_length as fake_mastodon_length
from tests.test_render import SCOPE, make, shortenings

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme
FLAG = "\U0001f1eb\U0001f1f7"


class TestCounting:
    def test_a_zwj_family_is_one_grapheme_but_seven_code_points(self) -> None:
        assert measure(FAMILY, "graphemes") == 1
        assert measure(FAMILY, "characters") == 7

    def test_x_counts_light_characters_once_and_others_twice(self) -> None:
        assert weighted_length("hello") == 5
        assert weighted_length("日本語") == 6
        assert weighted_length("“quoted”") == 8  # U+201C and U+201D are in a light range
        assert weighted_length(FLAG) == 4

    def test_x_counts_every_url_as_23(self) -> None:
        assert weighted_length("see https://status.example.com/incidents/a-very-long-path") == 27

    def test_an_apostrophe_inside_a_link_is_part_of_it(self) -> None:
        # X (t.co) and Mastodon both link the whole path: the link counts 23, whatever follows.
        text = "see https://status.example.com/incidents/it's-down-again-for-everyone now"
        assert weighted_length(text) == 4 + 23 + 4
        assert mastodon_length(text) == 4 + 23 + 4

    def test_punctuation_after_a_link_is_text(self) -> None:
        assert weighted_length("Fixed: https://status.example.com.") == 7 + 23 + 1
        assert weighted_length("(https://status.example.com/inc-1)") == 1 + 23 + 1
        assert weighted_length("'https://status.example.com/'") == 1 + 23 + 1

    def test_a_scheme_with_nothing_after_it_is_no_link(self) -> None:
        assert weighted_length("https://") == 8
        assert weighted_length("try https://.") == 13

    def test_x_normalises_to_nfc_first(self) -> None:
        decomposed = unicodedata.normalize("NFD", "é")
        assert len(decomposed) == 2
        assert weighted_length(decomposed) == 1


words = st.sampled_from(
    ["checkout", "fails", "日本語のテキスト", "中文消息没有空格", FAMILY, FLAG, "é", "e\u0301",
     "@ops@example.social", "#outage", "https://status.example.com/incidents/inc-1",
     "naïve", "🔥", "👍🏽"]
)  # fmt: skip
spaced = st.lists(words, min_size=1, max_size=120).map(" ".join)
unspaced = st.lists(
    st.sampled_from(["中", "文", "字", FAMILY, FLAG, "a"]), min_size=1, max_size=400
).map("".join)
messages = spaced | unspaced


def message_part(text: str, original: str) -> str:
    """What is left of the free-text message in a fitted short rendering."""
    start = text.index("for 1.2% of our customers (1,204 customers). ") + len(
        "for 1.2% of our customers (1,204 customers). "
    )
    end = text.index(" Next update by")
    return text[start:end]


@pytest.mark.parametrize("unit", [LengthUnit.CHARACTERS, LengthUnit.GRAPHEMES, LengthUnit.WEIGHTED])
class TestFitting:
    @settings(max_examples=60, deadline=None)
    @given(message=messages, limit=st.integers(min_value=180, max_value=500))
    def test_every_output_is_within_its_limit_and_cut_cleanly(
        self, unit: LengthUnit, message: str, limit: int
    ) -> None:
        incident, update = make(Status.IDENTIFIED, SCOPE, message=message.strip())
        capabilities = Capabilities(form=Form.SHORT, max_length=limit, length_unit=unit)
        text = Renderer().render(incident, update, channel="c", capabilities=capabilities).text
        assert measure(text, unit) <= limit
        assert "API is down in eu-west for 1.2% of our customers" in text
        assert text.endswith("Next update by 14:30 UTC.")
        kept = message_part(text, update.message)
        if kept == update.message:
            return
        # whole sentences, or whole clauses and an ellipsis, or nothing: never mid-clause,
        # so never a split grapheme, URL or mention either
        assert kept in shortenings(update.message)

    def test_the_long_form_falls_back_to_the_short_one(self, unit: LengthUnit) -> None:
        incident, update = make(Status.IDENTIFIED, SCOPE, message="Requests fail.")
        capabilities = Capabilities(form=Form.LONG, max_length=200, length_unit=unit)
        message = Renderer().render(incident, update, channel="c", capabilities=capabilities)
        assert message.form is Form.SHORT
        assert message.text.startswith("Identified:")


# Text made to find where two readings of "a link" could part: schemes in any case, paths with
# apostrophes and brackets, punctuation at the end, links glued to words and to each other.
link_parts = st.sampled_from(
    ["https://", "http://", "HTTPS://", "hTTp://", "status.example.com", "/incidents/",
     "it's", "-down", "inc_1", "?q=1", "#top", "(x)", ".", ",", "'", '"', "!", ")", ":", "<",
     ">", "…", "é", "e\u0301", "日本", FAMILY, "x", " ", "\n", "@ops", "/"]
)  # fmt: skip
linky = st.lists(link_parts, max_size=30).map("".join)


class TestTheOracleAgrees:
    """candor.testing counts apart from candor.length (the fakes' oracle); they must agree."""

    @settings(max_examples=400, deadline=None)
    @given(text=linky | st.text(max_size=60))
    def test_the_same_links_are_found(self, text: str) -> None:
        assert [match.span() for match in URL.finditer(text)] == oracle.links(text)

    @settings(max_examples=400, deadline=None)
    @given(text=linky | messages)
    def test_x_and_mastodon_lengths_are_the_same(self, text: str) -> None:
        assert weighted_length(text) == oracle.weighted_length(text)
        assert mastodon_length(text) == fake_mastodon_length(text)

    @settings(max_examples=100, deadline=None)
    @given(text=linky | messages)
    def test_every_unit_is_counted_the_same(self, text: str) -> None:
        for unit in LengthUnit:
            assert measure(text, unit) == oracle.count(text, unit)
