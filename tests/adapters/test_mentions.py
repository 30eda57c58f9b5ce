"""Mention injection, per service: one corpus of hostile strings each, judged by its own rule.

Each service's rule for what tags an account is written here a second time, as an
oracle, independently of the neutraliser in ``candor.adapters.text`` (with the
``regex`` module's Unicode classes, not the neutraliser's code):

- Mastodon: ``Account::MENTION_RE`` in Mastodon's source (app/models/account.rb), which
  ``ProcessMentionsService`` runs over the whole status text: ``@`` not after ``=``, ``/``
  or a Ruby ``[[:word:]]`` character, a username ``[a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?``
  (case-insensitive), then optionally ``@domain``.
- X: twitter-text's ``valid_mention_or_list`` (lib/twitter-text/regex.rb): an at sign
  ``@``/``＠`` after the start, any character but ``[a-zA-Z0-9_!#$%&*@＠]``, or ``RT:?``;
  a screen name ``[a-zA-Z0-9_]{1,20}``; not followed by an at sign or ``://``.
- Bluesky: ``app.bsky.richtext.facet`` (the lexicon in the shared specs): only a facet
  with a ``#mention`` feature tags an account; the text itself never does.

Every string of a corpus is first checked to BE a mention by the oracle (so the
corpus tests something), then what the adapter would send is checked to hold none.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import regex

import candor
from candor.adapters.bluesky import BlueskyAdapter
from candor.adapters.mastodon import MastodonAdapter
from candor.adapters.x import XAdapter
from candor.testing.contract import AdapterContract
from candor.testing.fakes import FakeBluesky

SPECS = Path(__file__).resolve().parents[3] / "shared" / "specs"

# -- the oracles ------------------------------------------------------------------------------

_WORD = r"[\p{L}\p{M}\p{Nd}\p{Pc}]"
MASTODON_MENTION = regex.compile(
    rf"(?<![=/]|{_WORD})@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@[\p{{L}}\p{{M}}\p{{Nd}}\p{{Pc}}.-]+{_WORD})?",
    regex.IGNORECASE | regex.V1,
)
X_MENTION = regex.compile(
    r"(?:^|(?<=[^a-zA-Z0-9_!#$%&*@＠])|(?<=(?:^|[^a-zA-Z0-9_+~.-])[rR][tT]:?))"
    r"[@＠]([a-zA-Z0-9_]{1,20})(?![@＠]|://)",
    regex.IGNORECASE | regex.V1,
)


def mastodon_tags(text: str) -> list[str]:
    return [m.group(1) for m in MASTODON_MENTION.finditer(text)]


def x_tags(text: str) -> list[str]:
    return [m.group(1) for m in X_MENTION.finditer(text)]


def bluesky_tags(record: dict[str, Any]) -> list[str]:
    return [
        feature["did"]
        for facet in record.get("facets", [])
        for feature in facet["features"]
        if feature["$type"] == "app.bsky.richtext.facet#mention"
    ]


# -- the corpora (strings written for these tests) ---------------------------------------------

MASTODON_INJECTIONS = [
    "@bob",
    "ask @bob for help",
    "!@bob@evil.example",
    "@@carol",
    "#@dave",
    "*@erin",
    "&@frank",
    "$@grace",
    "%@heidi",
    "(@ivan)",
    '"@judy"',
    "-@mallory",
    ".@oscar",
    "~@peggy",
    "²@trent",  # a superscript digit is not a word character to Mastodon
    "¿@victor?",
    "\u200b@walter",
    "@Bob_Smith.ops-team@social.example",
    "@\u212aelvin",  # KELVIN SIGN folds to "k" in a case-insensitive username
    "see https://evil.example/path?x=!@bob@evil.example",  # links are scanned too
    "https://a.example/@alice and !@mallory",
    "line one\n@newline",
    "tab\t@tabbed",
]
X_INJECTIONS = [
    "@bob",
    "ask @bob for help",
    "＠fullwidth",
    "RT@retweeted",
    "rt:@retweeted",
    "é@accented",  # twitter-text's preceding-character rule is ASCII
    "日本@kanji",
    "(@paren)",
    "-@dash",
    ".@dot",
    "/@slash",
    "=@equals",
    "http://@nohost",
    "https://not-a-link.invalidtld/@bob",
    "#https://x.com/@glued",
    "https://x.com/a^@caret",
    "https://x.com/a)@paren",
    "@\u212aelvin",
    "line one\n@newline",
]
BLUESKY_INJECTIONS = [
    "@bob.bsky.social",
    "ask @bob.bsky.social for help",
    "!@bob.bsky.social",
    "@did:plc:abcdefghijklmnopqrstuvwx",
    "https://bsky.app/profile/bob.bsky.social @bob.bsky.social",
]

# Ordinary text, which must reach every service as written.
ORDINARY = [
    "Requests to the API fail in eu-west; we are investigating.",
    "Write to support@example.com for help.",  # an e-mail address
    "The fix ships at 14:30 UTC (a=b, c/d).",
    "Profiles: https://mastodon.social/@alice",
]


def message_for(adapter: Any, channel: str, text: str) -> tuple[candor.Message, Any]:
    contract = AdapterContract()
    contract.channel = channel  # type: ignore[misc]
    message, context = contract.message(adapter, contract.incident())
    return message.model_copy(update={"text": text}), context


@pytest.fixture
def mastodon(tmp_path: Path) -> MastodonAdapter:
    channel = candor.Channel(
        name="mastodon",
        adapter="mastodon",
        settings={"base_url": "https://mastodon.example", "access_token": "token-0123456789"},
    )
    return MastodonAdapter(channel, client=None, base_dir=tmp_path)  # type: ignore[arg-type]


@pytest.fixture
def x(tmp_path: Path) -> XAdapter:
    channel = candor.Channel(
        name="x", adapter="x", settings={"user_token": "x-user-token-0123456789"}
    )
    return XAdapter(channel, client=None, base_dir=tmp_path)  # type: ignore[arg-type]


class TestTheOraclesFindTheInjections:
    """Each corpus string tags someone by its service's own rule, before neutralising."""

    @pytest.mark.parametrize("text", MASTODON_INJECTIONS)
    def test_mastodon(self, text: str) -> None:
        assert mastodon_tags(text), text

    @pytest.mark.parametrize("text", X_INJECTIONS)
    def test_x(self, text: str) -> None:
        assert x_tags(text) or "://" in text, text


class TestMastodon:
    @pytest.mark.parametrize("text", MASTODON_INJECTIONS)
    def test_an_injection_tags_nobody(self, mastodon: MastodonAdapter, text: str) -> None:
        sent = mastodon.text_for(message_for(mastodon, "mastodon", text)[0])
        assert mastodon_tags(sent) == [], sent

    @pytest.mark.parametrize("text", ORDINARY)
    def test_ordinary_text_is_left_as_written(self, mastodon: MastodonAdapter, text: str) -> None:
        assert mastodon.text_for(message_for(mastodon, "mastodon", text)[0]) == text

    def test_the_stand_in_reads_as_an_at_sign(self, mastodon: MastodonAdapter) -> None:
        sent = mastodon.text_for(message_for(mastodon, "mastodon", "!@bob@evil.example")[0])
        assert sent == "!\uff20bob@evil.example"


class TestX:
    @pytest.mark.parametrize("text", X_INJECTIONS)
    def test_an_injection_tags_nobody(self, x: XAdapter, text: str) -> None:
        sent = x.text_for(message_for(x, "x", text)[0])
        assert x_tags(sent) == [], sent

    @pytest.mark.parametrize("text", ORDINARY)
    def test_ordinary_text_is_left_as_written(self, x: XAdapter, text: str) -> None:
        assert x.text_for(message_for(x, "x", text)[0]) == text

    @pytest.mark.parametrize("text", MASTODON_INJECTIONS)
    def test_the_mastodon_corpus_tags_nobody_on_x_either(self, x: XAdapter, text: str) -> None:
        sent = x.text_for(message_for(x, "x", text)[0])
        assert x_tags(sent) == [] or "://" in sent, sent


class TestBluesky:
    @pytest.mark.parametrize("text", BLUESKY_INJECTIONS + MASTODON_INJECTIONS + X_INJECTIONS)
    def test_an_injection_gets_no_mention_facet(self, tmp_path: Path, text: str) -> None:
        fake = FakeBluesky()
        channel = candor.Channel(
            name="bluesky",
            adapter="bluesky",
            settings={"identifier": fake.handle, "app_password": fake.app_password},
        )
        adapter = BlueskyAdapter(channel, client=fake.client(), base_dir=tmp_path)
        message, context = message_for(adapter, "bluesky", text)
        asyncio.run(adapter.post(message, context))
        (stored,) = fake.records.values()
        record = stored["value"]
        assert bluesky_tags(record) == []
        assert record["text"] == text  # nothing to neutralise: the words reach readers whole

    def test_the_lexicon_makes_mentions_facets_only(self) -> None:
        lexicon = SPECS / "atproto" / "lexicons" / "app" / "bsky" / "richtext" / "facet.json"
        if not lexicon.exists():
            pytest.skip("the atproto lexicons are not in the shared specs")
        defs = json.loads(lexicon.read_text())["defs"]
        assert "mention" in defs
        assert defs["mention"]["required"] == ["did"]
