"""StoreContract catches a store that breaks a rule: each broken store below fails its test.

Each store is the SQLite store with one rule broken. The same contract test is
run on the sound store and on the broken one in one pytest session of its
own: the sound store passes it, the broken one fails it.
"""

from __future__ import annotations

import pytest

# Imported here, before any inner session, so that every session shares these modules: an
# inner session's imports are undone after it, while candor.testing keeps what it handed out.
import candor.store.sqlite  # noqa: F401
from candor.testing import StoreContract  # noqa: F401

STORES = '''
from datetime import timedelta

import pytest

from candor.errors import StoreError
from candor.store.sqlite import SQLiteStore
from candor.testing import StoreContract


class LostUpdate(SQLiteStore):
    """Saves against whatever version is stored now: a stale writer overwrites."""

    def save(self, incident, *, expected_version, outbox):
        if expected_version is not None:
            stored = self.get(incident.id)
            expected_version = stored.version
            incident = incident.model_copy(update={"version": stored.version + 1})
        super().save(incident, expected_version=expected_version, outbox=outbox)


class HoldsNoLease(SQLiteStore):
    """Claims rows with a lease that is over at once, so a row in flight is claimed again."""

    def claim(self, *, token, now, lease, **narrowing):
        return super().claim(token=token, now=now, lease=timedelta(0), **narrowing)


class IgnoresDueTimes(SQLiteStore):
    """Claims a retry before its time."""

    def claim(self, *, token, now, lease, due_only=True, **narrowing):
        return super().claim(token=token, now=now, lease=lease, due_only=False, **narrowing)


class NeverFailsForGood(SQLiteStore):
    """Turns a final failure into a retry, so a refused update blocks its channel."""

    def record_failure(self, item_id, error, *, final, at, **rest):
        super().record_failure(item_id, error, final=False, at=at, **rest)


class RecordsOneByOne(SQLiteStore):
    """Records a fan-out's outcomes one transaction each: half of them can be kept."""

    def record_many(self, transitions):
        for transition in transitions:
            super().record_many([transition])


class RequeuesEverything(SQLiteStore):
    """Owes again every failed row, also one a later update on its channel superseded."""

    def requeue_failed(self, *, now, incident_id=None, channels=None):
        with self._transaction(write=True) as db:
            db.execute(
                "UPDATE outbox SET state = 'retry', next_attempt_at = ? WHERE state = 'failed'",
                (now.isoformat(timespec="microseconds"),),
            )
        return [item for item in self.pending() if item.attempts]


class ForgetsKeptPromises(SQLiteStore):
    """Lists promises already kept as still open."""

    def promises(self, *, open_only=True):
        return super().promises(open_only=False)


class ClosesTwice(SQLiteStore):
    """Lets the books be closed again, overwriting the first closure."""

    def close_incident(self, incident_id, closure):
        try:
            super().close_incident(incident_id, closure)
        except StoreError:
            with self._transaction(write=True) as db:
                db.execute(
                    "UPDATE closures SET data = ? WHERE incident_id = ?",
                    (closure.model_dump_json(), incident_id),
                )


class TestSound(StoreContract):
    def make_store(self, tmp_path):
        return SQLiteStore(tmp_path / "candor.db")


def _broken(store_class):
    class Broken(StoreContract):
        def make_store(self, tmp_path):
            return store_class(tmp_path / "candor.db")

    return Broken


TestLostUpdate = _broken(LostUpdate)
TestHoldsNoLease = _broken(HoldsNoLease)
TestIgnoresDueTimes = _broken(IgnoresDueTimes)
TestNeverFailsForGood = _broken(NeverFailsForGood)
TestRecordsOneByOne = _broken(RecordsOneByOne)
TestRequeuesEverything = _broken(RequeuesEverything)
TestForgetsKeptPromises = _broken(ForgetsKeptPromises)
TestClosesTwice = _broken(ClosesTwice)


class TestOneHandle(StoreContract):
    def make_store(self, tmp_path):
        return SQLiteStore(tmp_path / "candor.db")


class TestNoStore(StoreContract):
    pass
'''

CAUGHT = [
    ("LostUpdate", "test_a_stale_expected_version_raises_conflict_and_writes_nothing"),
    ("HoldsNoLease", "test_a_row_in_flight_under_a_live_lease_is_claimed_by_nobody_else"),
    ("HoldsNoLease", "test_threads_claiming_at_once_never_take_the_same_row"),
    ("IgnoresDueTimes", "test_a_retry_waits_for_its_time_and_holds_back_the_rows_behind_it"),
    ("IgnoresDueTimes", "test_a_retry_without_a_time_is_due_when_it_failed"),
    ("NeverFailsForGood", "test_a_row_failed_for_good_does_not_block_the_updates_after_it"),
    ("RecordsOneByOne", "test_recording_many_with_an_unknown_row_records_none_of_them"),
    (
        "RequeuesEverything",
        "test_failed_rows_no_later_receipt_supersedes_are_owed_again_due_now",
    ),
    ("ForgetsKeptPromises", "test_the_next_update_keeps_the_open_next_update_promise"),
    ("ClosesTwice", "test_the_books_are_closed_once"),
]


def test_the_contract_fails_each_store_that_breaks_one_of_its_rules(
    pytester: pytest.Pytester,
) -> None:
    """The sound store passes each test named in CAUGHT; the store breaking its rule fails it."""
    pytester.makepyfile(test_stores=STORES)
    chosen = {f"test_stores.py::TestSound::{test}" for _, test in CAUGHT}
    chosen |= {f"test_stores.py::Test{store}::{test}" for store, test in CAUGHT}
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", *sorted(chosen))
    outcomes = {
        report.nodeid: report.outcome
        for report in result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
        if report.when == "call"
    }
    expected = {nodeid: "passed" for nodeid in chosen if "::TestSound::" in nodeid}
    expected |= {f"test_stores.py::Test{store}::{test}": "failed" for store, test in CAUGHT}
    assert outcomes == expected


def test_tests_needing_a_second_handle_are_skipped_saying_how_to_enable_them(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_stores=STORES)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-q", "-rs", "test_stores.py::TestOneHandle",
        "-k", "two_handles or another_handle or across_handles",
    )  # fmt: skip
    result.assert_outcomes(passed=0, skipped=4)
    result.stdout.fnmatch_lines(["*implement another_store() to test two handles*"])


def test_a_subclass_without_make_store_says_what_is_missing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_stores=STORES)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-q", "test_stores.py::TestNoStore::test_is_a_store"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*must implement make_store*"])
