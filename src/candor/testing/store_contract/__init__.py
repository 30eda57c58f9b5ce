"""``StoreContract``: the behaviour every :class:`~candor.Store` keeps, whatever holds the data.

Subclass it in your own tests, in a class whose name starts with ``Test``, and
say how to make a fresh, empty store (keyring's backend tests work this way)::

    from candor.testing import StoreContract

    class TestMyStore(StoreContract):
        def make_store(self, tmp_path):
            return MyStore(tmp_path / "data")

        def another_store(self, store):
            # optional: a second handle on the same data, as another process would open it
            return MyStore(store.folder)

Every test gets its own store from the ``store`` fixture, which calls
:meth:`StoreContract.make_store` and closes the store afterwards. A store that
needs a server rather than a folder can override the fixture itself::

    class TestServerStore(StoreContract):
        @pytest.fixture
        def store(self, database_url):  # a fixture of your own, giving an empty database
            made = ServerStore(database_url)
            yield made
            made.close()

The suite pins what :class:`~candor.Store` promises: the timeline is
append-only; a save against a stale version raises ConflictError and writes
nothing, and a save either writes everything (update, promises, outbox rows)
or nothing; the outbox is a state machine (pending, in flight under a claim and
a lease, sent with its first receipt, retry when due, failed) in which no
update overtakes an earlier one on a channel and a live claim is never taken
twice, also by several threads at once; ``requeue_failed`` owes again only
what no later update has superseded; the promise ledger (promises made and
kept, closures, action items, reminders claimed once). Tests that need
:meth:`StoreContract.another_store` are skipped, saying so, when it returns
None. What only one kind of store can show (files, triggers, migrations of
old data, several processes) belongs in that store's own tests, beside the
subclass. Needs pytest.

The builders (:meth:`~StoreContract.make_update`, :meth:`~StoreContract.make_incident`,
:meth:`~StoreContract.outbox_for`, :meth:`~StoreContract.open_incident`,
:meth:`~StoreContract.advance`) are there for your own store-specific tests too.
"""

from __future__ import annotations

from candor.testing.store_contract._ledger import LedgerTests
from candor.testing.store_contract._outbox import OutboxTests
from candor.testing.store_contract._timeline import TimelineTests

__all__ = ["StoreContract"]


class StoreContract(TimelineTests, LedgerTests, OutboxTests):
    """The tests every Store passes. Subclasses implement :meth:`make_store`.

    Optional hook: :meth:`another_store` (a second handle on the same data).
    The tests come in three parts, one module each: the timeline and the
    version check, the promise ledger, the outbox and its claims.
    """
