"""The candor checks: each rule catches what it names, and spares plain, honest text."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

import candor
from candor.adapters.base import Capabilities, Form, LengthUnit
from candor.checks import Finding, Rule, Severity, Subject, check, register, reset_rules, rules
from candor.model import Impact, Status, UpdateKind
from candor.render import Renderer
from candor.testing import MemoryAdapter
from tests.conftest import START, api_outage, memory_adapter
from tests.test_render import make


def codes(text: str, **kwargs: object) -> set[str]:
    return {f.code for f in check(text, **kwargs)}  # type: ignore[arg-type]


class TestEveryRuleOnItsOwnExamples:
    @pytest.mark.parametrize(
        "rule", [r for r in rules() if r.code != "contradicts-incident"], ids=lambda r: r.code
    )
    def test_the_bad_example_is_caught(self, rule: Rule) -> None:
        """(contradicts-incident needs an incident: see TestFactsAgainstTheIncident.)"""
        assert rule.code in codes(rule.bad, status=rule.bad_status)

    @pytest.mark.parametrize("rule", rules(), ids=lambda r: r.code)
    def test_the_good_example_passes_that_rule(self, rule: Rule) -> None:
        status = Status.RESOLVED if rule.bad_status is Status.RESOLVED else Status.IDENTIFIED
        assert rule.code not in codes(rule.good, status=status)

    def test_codes_are_unique_and_documented(self) -> None:
        found = rules()
        assert len({r.code for r in found}) == len(found)
        for rule in found:
            assert rule.summary
            assert rule.rationale
            assert rule.why, rule.code
            assert rule.policy, rule.code
            assert rule.bad != rule.good


NEXT = " Next update by 14:30 UTC."


def errors(text: str, **kwargs: object) -> set[str]:
    return {f.code for f in check(text, **kwargs) if f.is_error}  # type: ignore[arg-type]


class TestMinimizing:
    @pytest.mark.parametrize(
        "text",
        ["A small number of customers cannot log in.", "A subset of customers see errors.",
         "A tiny fraction of requests fail.", "A handful of merchants cannot take payments.",
         "Some users are seeing errors.", "Some slowness is expected on the dashboard.",
         "There was a brief outage of the API.", "Customers see minor delays on exports.",
         "Error rates are slightly elevated for all customers.", "The impact was minimal.",
         "The vast majority of customers were not affected.", "Checkout was only slower.",
         "A sliver of traffic saw timeouts.", "This affects a limited number of accounts."],
    )  # fmt: skip
    def test_a_qualifier_that_shrinks_who_is_hit_how_badly_or_how_long_is_an_error(
        self, text: str
    ) -> None:
        findings = [f for f in check(text + NEXT, status="identified") if f.code == "minimizing"]
        assert findings, text
        assert all(f.severity is Severity.ERROR for f in findings), findings
        assert all(f.suggestion and f.why for f in findings)

    @pytest.mark.parametrize(
        "text",
        ["We removed a small number of servers from the pool; all checkouts in eu-west fail.",
         "Only customers in the EU region are affected, and for them the dashboard does not "
         "load at all.",
         "Some customers saw errors. The error rate peaked at 5% of requests.",
         "We shipped a minor fix to the importer.", "The rollout reached only a few hosts.",
         "Requests were rate limited at the gateway.", "Some flyctl commands fail.",
         "We lost some transport capacity.", "Access is limited to administrators.",
         "We just deployed the fix and are watching error rates.",
         "The outage is limited to the EU region, where every request fails.",
         "While some accounts remain unaffected, exports fail for the others."],
    )  # fmt: skip
    def test_a_qualifier_of_machinery_a_named_group_or_a_stated_share_is_no_error(
        self, text: str
    ) -> None:
        assert "minimizing" not in errors(text + NEXT, status="identified")

    def test_some_customers_of_a_named_group_is_only_a_warning(self) -> None:
        (finding,) = check("Some customers in eu-west see errors." + NEXT, only=["minimizing"])
        assert finding.severity is Severity.WARNING

    def test_the_finding_names_the_words_and_says_what_they_shrink(self) -> None:
        (finding,) = check("A small subset of customers cannot log in.", only=["minimizing"])
        assert finding.excerpt == "A small subset of customers"
        assert finding.message == "'A small subset of customers' shrinks who is affected"
        assert "partial outage is a full outage" in finding.why

    def test_the_span_is_exact(self) -> None:
        text = "It affects only a small subset of customers."
        for finding in check(text):
            assert text[finding.start : finding.end] == finding.excerpt


class TestHedging:
    def test_hedging_is_fine_while_the_cause_is_unknown(self) -> None:
        text = "Users may experience errors. We are investigating."
        assert "hedging" not in codes(text, status="investigating")

    @pytest.mark.parametrize("status", ["identified", "monitoring", "resolved"])
    def test_hedging_a_known_impact_is_an_error(self, status: str) -> None:
        assert "hedging" in errors("Users may have experienced errors.", status=status)

    @pytest.mark.parametrize(
        "text",
        ["Some customers may continue to experience delays.", "There may have been delays.",
         "Users may not have been able to start new runs.", "It is possible that some "
         "requests failed during the failover.", "Customers were likely affected."],
    )  # fmt: skip
    def test_doubt_about_a_known_impact_in_any_form_is_an_error(self, text: str) -> None:
        assert "hedging" in errors(text, status="resolved")

    def test_advice_is_not_hedging(self) -> None:
        text = "You may retry failed jobs now, and they may need to be re-queued."
        assert "hedging" not in codes(text, status="resolved")

    def test_a_past_hedge_while_investigating_is_a_warning(self) -> None:
        (finding,) = check("Some users may have seen errors.", status="investigating",
                           only=["hedging"])  # fmt: skip
        assert finding.severity is Severity.WARNING

    def test_a_text_saying_the_cause_was_found_counts_as_known(self) -> None:
        text = "We have identified the root cause. Customers may still see errors."
        assert "hedging" in errors(text)


class TestCause:
    @pytest.mark.parametrize(
        "phrase",
        ["a technical issue", "a glitch", "an internal service degradation",
         "an underlying issue", "some internal auth issues", "network performance issues",
         "an unexpected service disruption"],
    )  # fmt: skip
    def test_vague_causes_are_errors(self, phrase: str) -> None:
        assert "vague-cause" in errors(f"This was due to {phrase}.")

    @pytest.mark.parametrize(
        "text",
        ["We identified an internal systems issue.", "An unexpected problem affected our API.",
         "A fault in our systems caused the errors."],
    )  # fmt: skip
    def test_a_vague_noun_where_the_cause_goes_is_an_error(self, text: str) -> None:
        assert "vague-cause" in errors(text, status="identified")

    def test_an_issue_described_by_its_symptom_is_not_a_vague_cause(self) -> None:
        assert "vague-cause" not in codes("We are aware of an issue affecting the dashboard.")
        assert "vague-cause" not in codes(
            "We are investigating an issue affecting the dashboard.", status="investigating"
        )

    def test_an_outage_named_by_what_failed_is_not_vague(self) -> None:
        text = "Resolved. The outage was caused by a power failure in our Frankfurt datacenter."
        assert not {"vague-cause", "no-cause"} & codes(text, status="resolved")

    def test_a_resolution_without_a_cause_is_an_error(self) -> None:
        assert "no-cause" in errors("This incident has been resolved.", status="resolved")
        assert "no-cause" in errors(
            "Exports were delayed for 20 minutes between 14:00 and 14:20 UTC. The issue has "
            "now been resolved.",
            status="resolved",
        )

    @pytest.mark.parametrize(
        "text",
        ["Resolved. It was caused by an expired certificate.",
         "Resolved. The root cause was a full disk on our database server.",
         "Resolved. We have not yet established the cause; the write-up will say.",
         "Resolved. We do not know the cause yet; the write-up by Friday will explain it.",
         "Resolved. A faulty disk controller caused write failures on our EU database.",
         "Resolved. The stuck queue worker led to failed logins for all customers.",
         "Resolved. A certificate rotation resulted in TLS handshake failures.",
         "Resolved. One replica was to blame for every failed request.",
         "Resolved. The root cause turned out to be a stale DNS record.",
         "Resolved. A deploy at 14:02 UTC introduced a bug that dropped webhooks.",
         "Resolved. The storage cluster ran out of disk, which stopped writes.",
         "Resolved. Writes stopped because the storage cluster filled its disks.",
         "Resolved. Imports were failing; we rolled back Tuesday's release."],
    )  # fmt: skip
    def test_a_cause_in_any_voice_or_tense_or_an_honest_unknown_passes(self, text: str) -> None:
        assert "no-cause" not in codes(text, status="resolved")

    @pytest.mark.parametrize(
        "text",
        ["Resolved. Logins failed after a schema migration locked the users table.",
         "Resolved. A configuration push removed the route to our payment processor.",
         "Resolved. We restarted the ingest workers and data is flowing again."],
    )  # fmt: skip
    def test_a_resolution_the_rule_cannot_read_for_sure_gets_a_warning(self, text: str) -> None:
        (finding,) = check(text, status="resolved", only=["no-cause"])
        assert finding.severity is Severity.WARNING

    def test_an_apology_is_no_cause(self) -> None:
        text = "Everything works again. We are sorry for the trouble this caused you."
        assert "no-cause" in errors(text, status="resolved")


class TestRoteApology:
    @pytest.mark.parametrize(
        "text",
        ["We apologise for any inconvenience caused.", "Our sincerest apologies for the trouble.",
         "We apologize for the inconvenience and will share more soon.",
         "We apologize to customers whose services were impacted.",
         "We take this very seriously.", "We are sorry for any disruption this may have caused."],
    )  # fmt: skip
    def test_an_apology_for_nothing_in_particular_is_an_error(self, text: str) -> None:
        assert "rote-apology" in errors(text)

    @pytest.mark.parametrize(
        "text",
        ["We are sorry: checkout failed for 40 minutes.",
         "We are sorry for the delayed post on our status page.",
         "We are sorry for the length of time it took us to restore service.",
         "We apologise for the disruption to card payments in eu-west."],
    )  # fmt: skip
    def test_an_apology_that_names_the_harm_passes(self, text: str) -> None:
        assert "rote-apology" not in codes(text)


class TestNextUpdate:
    @pytest.mark.parametrize(
        "text",
        ["We will share more shortly.", "Updates to follow as soon as possible.",
         "We will provide an update once we know more.", "Fixes were delayed by 15 minutes."],
    )  # fmt: skip
    def test_no_time_is_an_error_in_a_non_final_update(self, text: str) -> None:
        assert "no-next-update" in codes(text, status="investigating")

    @pytest.mark.parametrize(
        "text",
        ["Next update by 14:30 UTC.", "We will update again in 1 hour.",
         "We will post another update within the next 30 minutes.",
         "We will provide updates every 2 - 3 hours.", "Next update in 45 minutes."],
    )  # fmt: skip
    def test_a_concrete_time_passes(self, text: str) -> None:
        assert "no-next-update" not in codes(text, status="investigating")

    def test_a_resolution_needs_no_next_update(self) -> None:
        assert "no-next-update" not in codes("Resolved.", status="resolved")


class TestOtherRules:
    def test_a_fix_time_is_a_warning(self) -> None:
        (finding,) = check("This will be resolved in 10 minutes.", only=["fix-time"])
        assert finding.severity is Severity.WARNING

    def test_host_names_and_private_addresses_are_errors_in_public(self) -> None:
        text = "db-prod-7.eu.acme.net and 10.2.3.4 and cache.internal are down."
        found = [f.excerpt for f in check(text, only=["internal-detail"])]
        assert found == ["db-prod-7.eu.acme.net", "10.2.3.4", "cache.internal"]

    def test_internal_channels_may_use_host_names_and_jargon(self) -> None:
        assert check("SEV1: db-prod-7.internal is OOMKilled.", public=False,
                     only=["internal-detail"]) == []  # fmt: skip

    def test_blaming_a_provider_without_owning_it_is_a_warning(self) -> None:
        (finding,) = check("This was caused by our upstream provider.", only=["blames-others"])
        assert finding.severity is Severity.WARNING
        assert (
            check(
                "This was caused by our DNS provider; we had no second provider and will add one.",
                only=["blames-others"],
            )
            == []
        )

    def test_a_message_that_says_who_is_affected_has_no_scope_warning(self) -> None:
        assert "no-scope" in codes("We are investigating reports of errors.")
        assert "no-scope" not in codes("All customers in eu-west see errors.")

    def test_positions_are_line_and_column(self) -> None:
        text = "All customers are affected.\nIt is a small number of accounts."
        (finding,) = check(text, only=["minimizing"])
        assert finding.position(text) == (2, 7)

    def test_text_must_be_a_string(self) -> None:
        with pytest.raises(candor.InputError, match="text"):
            check(None)  # type: ignore[arg-type]


class TestFactsAgainstTheIncident:
    def incident(self, status: Status = Status.MONITORING) -> candor.Incident:
        scope = api_outage(affected_fraction=0.12, affected_count=1500)
        incident, _ = make(status, scope)
        return incident.model_copy(update={"next_update_by": START + timedelta(minutes=30)})

    def test_a_different_percentage_contradicts(self) -> None:
        (finding,) = check("5% of our customers see errors.", incident=self.incident(),
                           only=["contradicts-incident"])  # fmt: skip
        assert "12%" in finding.message

    def test_the_same_percentage_rounded_agrees(self) -> None:
        assert check("12% of our customers see errors.", incident=self.incident(),
                     only=["contradicts-incident"]) == []  # fmt: skip

    def test_a_different_count_contradicts(self) -> None:
        assert check("1,200 customers see errors.", incident=self.incident(),
                     only=["contradicts-incident"])  # fmt: skip

    def test_text_whose_lowercase_is_longer_is_still_read_in_full(self) -> None:
        """'İ' lowercases to two characters: positions in the lowered text shift."""
        text = "İİİ İstanbul: 1,200 customers see errors. Next update by 15:00 UTC."
        found = check(text, incident=self.incident(), only=["contradicts-incident"])
        assert {f.excerpt for f in found} == {"1,200 customers", "Next update by 15:00 UTC"}

    def test_saying_resolved_while_monitoring_contradicts(self) -> None:
        (finding,) = check("The issue has been resolved.", incident=self.incident(),
                           only=["contradicts-incident"])  # fmt: skip
        assert "monitoring" in finding.message

    def test_a_different_next_update_time_contradicts(self) -> None:
        assert check("Next update by 15:00 UTC.", incident=self.incident(),
                     only=["contradicts-incident"])  # fmt: skip
        assert not check("Next update by 14:30 UTC.", incident=self.incident(),
                         only=["contradicts-incident"])  # fmt: skip

    def test_naming_no_affected_component_is_an_error(self) -> None:
        (finding,) = check("Everything is slow.", incident=self.incident(), only=["no-scope"])
        assert finding.severity is Severity.ERROR


class TestRegistry:
    def test_a_custom_rule_runs_with_the_others(self) -> None:
        def no_exclamations(subject: Subject) -> list[Finding]:
            at = subject.text.find("!")
            if at < 0:
                return []
            return [rule.finding(subject, at, at + 1, "no exclamation marks", "calm down")]

        rule = Rule(code="test-no-exclamation", severity=Severity.WARNING, summary="s",
                    rationale="r", bad="Fixed!", good="Fixed.", find=no_exclamations)  # fmt: skip
        register(rule)
        try:
            assert "test-no-exclamation" in codes("Fixed!")
            with pytest.raises(candor.InputError, match="already registered"):
                register(Rule(code="test-no-exclamation", severity=Severity.ERROR, summary="",
                              rationale="", bad="", good="", find=no_exclamations))  # fmt: skip
        finally:
            reset_rules()
        assert "test-no-exclamation" not in {r.code for r in rules()}

    def test_the_process_reset_forgets_added_rules_and_keeps_candors_own(self) -> None:
        import candor.testing

        own = [r.code for r in rules()]
        register(Rule(code="test-added", severity=Severity.WARNING, summary="s", rationale="r",
                      bad="b", good="g", find=lambda subject: []))  # fmt: skip
        assert "test-added" in {r.code for r in rules()}
        candor.testing.reset()
        assert [r.code for r in rules()] == own


STATUSES = list(Status)
FRACTIONS = [0.001, 0.0123, 0.05, 0.5, 0.999, 1.0]
FORMS = [
    Capabilities(form=Form.LONG),
    Capabilities(form=Form.CHAT, max_length=3000),
    Capabilities(form=Form.SHORT, max_length=500),
    Capabilities(form=Form.SHORT, max_length=300, length_unit=LengthUnit.GRAPHEMES),
    Capabilities(form=Form.SHORT, max_length=280, length_unit=LengthUnit.WEIGHTED),
]


class TestTheDefaultPackIsCandid:
    @pytest.mark.parametrize(
        ("status", "impact", "fraction", "regions", "count", "cause", "kind"),
        [
            (s, i, f, r, c, cause, kind)
            for s, i, f, r, c, cause, kind in itertools.product(
                STATUSES, list(Impact), FRACTIONS, [(), ("eu-west", "us-east")], [None, 1843],
                [None, "an expired TLS certificate"], [UpdateKind.UPDATE, UpdateKind.REOPEN],
            )
            if not (kind is UpdateKind.REOPEN and s is not Status.INVESTIGATING)
        ],
    )  # fmt: skip
    def test_every_default_rendering_has_zero_findings(
        self,
        status: Status,
        impact: Impact,
        fraction: float,
        regions: tuple[str, ...],
        count: int | None,
        cause: str | None,
        kind: UpdateKind,
    ) -> None:
        scope = candor.Scope(components=["Checkout API"], regions=regions,
                             affected_fraction=fraction, affected_count=count)  # fmt: skip
        incident, update = make(status, scope, cause=cause, kind=kind, postmortem=True,
                                message="Payments fail with HTTP 503.")  # fmt: skip
        incident = incident.model_copy(update={"impact": impact})
        for capabilities in FORMS:
            text = Renderer().render(incident, update, channel="c", capabilities=capabilities).text
            found = check(text, incident=incident, status=status)
            assert found == [], (capabilities.form, text, found)


class TestChecksGuardDelivery:
    def test_an_error_blocks_the_update_and_nothing_is_stored(
        self, comms: candor.Communicator, long_channel: MemoryAdapter
    ) -> None:
        with pytest.raises(candor.CheckError) as caught:
            comms.open("API failing", api_outage(), "We apologize for any inconvenience.")
        assert {f.code for _, f in caught.value.findings} == {"rote-apology"}
        assert {channel for channel, _ in caught.value.findings} == {"page", "social"}
        assert "allow=['rote-apology']" in str(caught.value)
        assert comms.list() == []
        assert long_channel.posted == []

    def test_an_override_with_a_reason_is_recorded_on_the_timeline(
        self, comms: candor.Communicator, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CANDOR_ACTOR", "alice")
        incident = comms.open(
            "API failing",
            api_outage(),
            "The fix will be deployed within 20 minutes. A small number of accounts fail.",
            allow=["minimizing"],
            reason="we will give the count as soon as it is known",
        )
        override = incident.updates[0].override
        assert override is not None
        assert override.codes == ("minimizing",)
        assert override.reason == "we will give the count as soon as it is known"
        assert override.by == "alice"
        assert any("A small number of accounts" in entry for entry in override.findings)

    def test_warnings_never_block(self, comms: candor.Communicator) -> None:
        incident = comms.open("API failing", api_outage(), "We expect it fixed within 20 minutes.")
        assert incident.updates[0].override is None

    def test_allowing_without_a_reason_is_refused(self, comms: candor.Communicator) -> None:
        with pytest.raises(candor.InputError, match="reason"):
            comms.open("API failing", api_outage(), "Only some.", allow=["minimizing"])

    def test_allowing_an_unknown_check_is_refused(self, comms: candor.Communicator) -> None:
        with pytest.raises(candor.InputError, match="unknown check"):
            comms.open("API failing", api_outage(), "x", allow=["speling"], reason="r")

    def test_preview_shows_findings_without_blocking(self, comms: candor.Communicator) -> None:
        messages = comms.preview(
            title="API failing", scope=api_outage(), message="Only a few customers see errors."
        )
        assert all(m.errors for m in messages)

    def test_custom_templates_are_checked_the_same_way(
        self, tmp_path: object, clock: object
    ) -> None:
        from pathlib import Path

        folder = Path(str(tmp_path)) / "templates" / "long"
        folder.mkdir(parents=True)
        (folder / "investigating.j2").write_text(
            "A minor issue for {{ facts.who }}. Next update by {{ update.next_update_by | at }}."
        )
        with (
            candor.Communicator(
                [candor.Channel(name="page", adapter=memory_adapter("page"))],
                store=Path(str(tmp_path)) / "c.db",
                templates_dir=folder.parent,
                base_dir=Path(str(tmp_path)),
            ) as comms,
            pytest.raises(candor.CheckError, match="minimizing"),
        ):
            comms.open("API failing", api_outage(), "Requests fail.")

    def test_internal_channels_are_not_held_to_public_wording(self, tmp_path: object) -> None:
        from pathlib import Path

        base = Path(str(tmp_path))
        channels = [candor.Channel(name="ops", adapter=memory_adapter("ops"), audience="internal")]
        with candor.Communicator(channels, store=base / "c.db", base_dir=base) as comms:
            incident = comms.open("API failing", api_outage(), "db-prod-7.internal is down.")
        assert incident.updates[0].override is None


def test_the_rules_page_documents_every_rule() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "checks.md").read_text()
    for rule in rules():
        assert f"### `{rule.code}` ({rule.severity.value})" in page
        assert rule.bad in page
        assert f"- Severity: {rule.policy}" in page


class TestHoldingUpdatesAreCandid:
    @pytest.mark.parametrize(
        ("status", "fraction", "regions", "cause", "late"),
        list(itertools.product(
            [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING], FRACTIONS,
            [(), ("eu-west", "us-east")], [None, "an expired TLS certificate"], [False, True],
        )),
    )  # fmt: skip
    def test_every_holding_update_has_zero_findings_and_claims_no_progress(
        self,
        status: Status,
        fraction: float,
        regions: tuple[str, ...],
        cause: str | None,
        late: bool,
    ) -> None:
        scope = candor.Scope(components=["Checkout API"], regions=regions,
                             affected_fraction=fraction, affected_count=1843)  # fmt: skip
        incident, update = make(status, scope, cause=cause, kind=UpdateKind.HOLDING)
        promised = START - timedelta(minutes=5) if late else START + timedelta(minutes=2)
        update = update.model_copy(update={"promised_by": promised})
        for capabilities in FORMS:
            text = Renderer().render(incident, update, channel="c", capabilities=capabilities).text
            assert "nothing new" in text.lower() or "no news" in text.lower()
            assert ("late" in text) is late, text
            found = check(text, incident=incident, status=status)
            assert found == [], (capabilities.form, text, found)
