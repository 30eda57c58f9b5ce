"""``AdapterContract``: the conformance suite every adapter passes, built-in or third-party.

Subclass it in your own tests, in a class whose name starts with ``Test``, and
say how to make your adapter (keyring's ``BackendBasicTests`` works this way)::

    from candor.testing.contract import AdapterContract
    from candor.testing.fakes import FakeMastodon

    class TestMyAdapter(AdapterContract):
        secrets = ("mastodon-token",)

        def make_adapter(self, tmp_path):
            self.fake = FakeMastodon()
            channel = candor.Channel(name=self.channel, adapter="mine",
                                     settings={"access_token": "mastodon-token"})
            return MyAdapter(channel, client=self.fake.client(), base_dir=tmp_path)

        def service_posts(self, adapter):
            return [status["text"] for status in self.fake.statuses.values()]

        def induce_failure(self, adapter, kind):
            {"auth": lambda: self.fake.fail_next(status=401), ...}[kind]()
            return True

The suite covers posting, threading (an update joins the first post's thread
through ``DeliveryContext.previous``), length limits (a message at the limit is
taken whole; one over it is fitted or refused with ``DeliveryError``, never
cut by the service), idempotency across a retry (for adapters whose
capabilities claim it), the classification of errors (refusals are not
retryable, server errors and timeouts are) and that no secret reaches a log
or an error message. A test whose hook the subclass does not provide is
skipped, saying which hook would enable it. Needs pytest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar, Literal

import pytest

from candor.errors import DeliveryError
from candor.model import Impact, Incident, Organization, Scope, Status, Update, UpdateKind
from candor.render import Renderer
from candor.testing._length import count
from candor.typing import Adapter
from candor.vocabulary import Capabilities, DeliveryContext, LengthUnit, Message, Receipt

__all__ = ["AdapterContract", "FailureKind"]

FailureKind = Literal["auth", "validation", "server", "timeout"]
_NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


class AdapterContract:
    """The tests every adapter passes. Subclasses implement :meth:`make_adapter`.

    Optional hooks: :meth:`service_posts` (what the service now holds),
    :meth:`induce_failure` (make the next post fail a given way) and
    :attr:`secrets` (values that must never be logged).
    """

    #: The channel name the adapter is built for.
    channel: ClassVar[str] = "contract"
    #: Credentials and other values that must never appear in a log line or an error.
    secrets: ClassVar[tuple[str, ...]] = ()

    # -- hooks ----------------------------------------------------------------------------

    def make_adapter(self, tmp_path: Path) -> Adapter:
        """A new adapter for :attr:`channel`, talking to a fake or a folder in ``tmp_path``.

        Called inside the event loop the test runs in, so an ``httpx.AsyncClient``
        may be made here.
        """
        raise NotImplementedError("an AdapterContract subclass must implement make_adapter")

    def service_posts(self, adapter: Adapter) -> list[str] | None:
        """The texts the service holds now, oldest first; None when it cannot be told."""
        return None

    def induce_failure(self, adapter: Adapter, kind: FailureKind) -> bool:
        """Make the next post fail as ``kind``; False when this service cannot be made to."""
        return False

    # -- machinery ------------------------------------------------------------------------

    @pytest.fixture
    def runner(self) -> Iterator[asyncio.Runner]:
        with asyncio.Runner() as runner:
            yield runner

    @pytest.fixture
    def adapter(self, runner: asyncio.Runner, tmp_path: Path) -> Iterator[Adapter]:
        async def make() -> Adapter:
            return self.make_adapter(tmp_path)

        made = runner.run(make())
        yield made
        runner.run(made.aclose())

    def incident(self, number: int = 1, updates: int = 1) -> Incident:
        """A realistic incident with ``updates`` updates, its id unique per ``number``."""
        incident_id = f"inc-contract{number:04d}"
        scope = Scope(components=["API"], regions=["eu-west"], affected_fraction=0.012)
        made: list[Update] = []
        for seq in range(1, updates + 1):
            status = [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING][min(seq, 3) - 1]
            made.append(
                Update(
                    id=f"{incident_id}.{seq}",
                    incident_id=incident_id,
                    seq=seq,
                    kind=UpdateKind.OPEN if seq == 1 else UpdateKind.UPDATE,
                    status=status,
                    previous_status=made[-1].status if made else None,
                    impact=Impact.MAJOR,
                    scope=scope,
                    message=f"Requests to the API in eu-west fail (update {seq}).",
                    next_update_by=_NOW + timedelta(minutes=30 * seq),
                    created_at=_NOW + timedelta(minutes=30 * (seq - 1)),
                )
            )
        return Incident(
            id=incident_id,
            title="API failing in eu-west",
            status=made[-1].status,
            impact=Impact.MAJOR,
            scope=scope,
            started_at=_NOW,
            created_at=_NOW,
            updated_at=made[-1].created_at,
            next_update_by=made[-1].next_update_by,
            version=updates,
            updates=tuple(made),
        )

    def message(
        self,
        adapter: Adapter,
        incident: Incident,
        seq: int = 1,
        *,
        text: str | None = None,
        previous: tuple[Receipt, ...] = (),
    ) -> tuple[Message, DeliveryContext]:
        """The message and context candor would give ``adapter`` for update ``seq``."""
        update = incident.updates[seq - 1]
        organization = Organization(name="Contract Test", status_page_url="https://status.test")
        rendered = Renderer(organization).render(
            incident, update, channel=self.channel, capabilities=adapter.capabilities
        )
        if text is not None:
            rendered = rendered.model_copy(update={"text": text})
        context = DeliveryContext(
            channel=self.channel,
            incident=incident,
            update=update,
            idempotency_key=f"key-{update.id}-{text is not None}",
            organization=organization,
            now=update.created_at,
            previous=previous,
        )
        return rendered, context

    def post(
        self, runner: asyncio.Runner, adapter: Adapter, message: Message, context: DeliveryContext
    ) -> Receipt:
        return runner.run(adapter.post(message, context))

    def _posts(self, adapter: Adapter) -> list[str]:
        held = self.service_posts(adapter)
        if held is None:
            pytest.skip("implement service_posts() to check what the service holds")
        return held

    def _fail(self, adapter: Adapter, kind: FailureKind) -> None:
        if not self.induce_failure(adapter, kind):
            pytest.skip(f"induce_failure() cannot make this adapter fail with {kind!r}")

    # -- the contract ---------------------------------------------------------------------

    def test_is_an_adapter_with_capabilities(self, adapter: Adapter) -> None:
        """It satisfies the Adapter protocol and says what the service can take."""
        assert isinstance(adapter, Adapter)
        assert isinstance(adapter.capabilities, Capabilities)

    def test_posts_a_message_and_returns_a_receipt(
        self, adapter: Adapter, runner: asyncio.Runner
    ) -> None:
        """A post returns a receipt for this channel, and the service holds the text."""
        message, context = self.message(adapter, self.incident())
        receipt = self.post(runner, adapter, message, context)
        assert isinstance(receipt, Receipt)
        assert receipt.channel == self.channel
        held = self.service_posts(adapter)
        if held is not None:
            assert held == [message.text]

    def test_an_update_joins_the_thread_of_the_first(
        self, adapter: Adapter, runner: asyncio.Runner
    ) -> None:
        """With threading, update 2 (given update 1's receipt) lands in update 1's thread."""
        if not adapter.capabilities.threading:
            pytest.skip("the adapter does not claim threading")
        incident = self.incident(2, updates=2)
        first = self.post(runner, adapter, *self.message(adapter, incident, 1))
        second = self.post(runner, adapter, *self.message(adapter, incident, 2, previous=(first,)))
        root = first.thread_root or first.remote_id
        assert root is not None, "a threading adapter names the thread its first post starts"
        assert second.thread_root == root
        assert second.remote_id != first.remote_id

    def test_a_message_at_the_limit_is_taken_whole(
        self, adapter: Adapter, runner: asyncio.Runner
    ) -> None:
        """A text exactly ``max_length`` long, as the service counts, is posted as it is."""
        limit = adapter.capabilities.max_length
        if limit is None:
            pytest.skip("the adapter has no length limit")
        text = _text_of_length(limit, adapter.capabilities.length_unit)
        self.post(runner, adapter, *self.message(adapter, self.incident(3), text=text))
        held = self.service_posts(adapter)
        if held is not None:
            assert held[-1] == text

    def test_a_message_over_the_limit_is_fitted_or_refused_never_cut(
        self, adapter: Adapter, runner: asyncio.Runner
    ) -> None:
        """Over the limit: a non-retryable DeliveryError, or a fitted text; never a silent cut."""
        limit = adapter.capabilities.max_length
        if limit is None:
            pytest.skip("the adapter has no length limit")
        unit = adapter.capabilities.length_unit
        text = _text_of_length(limit + 1, unit)
        refused: DeliveryError | None = None
        try:
            self.post(runner, adapter, *self.message(adapter, self.incident(4), text=text))
        except DeliveryError as exc:
            refused = exc
        if refused is not None:
            assert not refused.retryable, "a text that is too long will not fit on a retry either"
            return
        held = self._posts(adapter)
        assert count(held[-1], unit) <= limit
        assert not text.startswith(held[-1]), "the text was cut without saying so"

    def test_the_same_idempotency_key_twice_posts_once(
        self, adapter: Adapter, runner: asyncio.Runner
    ) -> None:
        """Where the service honours idempotency, a retry with the same key is the same post."""
        if not adapter.capabilities.idempotency:
            pytest.skip("the adapter does not claim idempotency")
        message, context = self.message(adapter, self.incident(5))
        first = self.post(runner, adapter, message, context)
        again = self.post(runner, adapter, message, context)
        assert again.remote_id == first.remote_id
        held = self.service_posts(adapter)
        if held is not None:
            assert held.count(message.text) == 1

    @pytest.mark.parametrize("kind", ["auth", "validation"])
    def test_a_refusal_is_not_retryable(
        self, adapter: Adapter, runner: asyncio.Runner, kind: FailureKind
    ) -> None:
        """Bad credentials and invalid requests fail for good, naming the channel."""
        self._fail(adapter, kind)
        with pytest.raises(DeliveryError) as caught:
            self.post(runner, adapter, *self.message(adapter, self.incident(6)))
        assert caught.value.retryable is False
        assert caught.value.channel == self.channel
        if caught.value.status_code is not None:
            assert 400 <= caught.value.status_code < 500

    @pytest.mark.parametrize("kind", ["server", "timeout"])
    def test_a_transient_failure_is_retryable(
        self, adapter: Adapter, runner: asyncio.Runner, kind: FailureKind
    ) -> None:
        """Server errors and timeouts may pass on a retry, so they are retryable."""
        self._fail(adapter, kind)
        with pytest.raises(DeliveryError) as caught:
            self.post(runner, adapter, *self.message(adapter, self.incident(7)))
        assert caught.value.retryable is True
        assert caught.value.channel == self.channel

    def test_no_secret_reaches_a_log_or_an_error(
        self, adapter: Adapter, runner: asyncio.Runner, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Nothing the adapter logs or raises, posting or failing, contains a secret."""
        import structlog

        said: list[str] = []
        caplog.set_level(logging.DEBUG)
        # capture_logs leaves structlog configured; unconfigured before, it is put back so.
        was_configured = structlog.is_configured()
        with structlog.testing.capture_logs() as events:
            self.post(runner, adapter, *self.message(adapter, self.incident(8)))
            kinds: tuple[FailureKind, ...] = ("auth", "validation", "server", "timeout")
            for number, kind in enumerate(kinds, 9):
                if self.induce_failure(adapter, kind):
                    try:
                        self.post(runner, adapter, *self.message(adapter, self.incident(number)))
                    except Exception as exc:  # every error's words are checked
                        said.append(f"{type(exc).__name__}: {exc!r} {exc}")
        if not was_configured:
            structlog.reset_defaults()
        said += [repr(event) for event in events]
        said += [record.getMessage() for record in caplog.records]
        for secret in self.secrets:
            leaks = [line for line in said if secret in line]
            assert not leaks, f"a secret was logged or raised: {leaks[0]}"


def _text_of_length(length: int, unit: LengthUnit) -> str:
    """Plain words exactly ``length`` long in ``unit`` (ASCII weighs 1 in every unit)."""
    words = "The API in eu-west fails for some of our customers and we are fixing it now. "
    text = (words * (length // len(words) + 1))[:length]
    if text.endswith(" "):
        text = text[:-1] + "."
    assert count(text, unit) == length
    return text
