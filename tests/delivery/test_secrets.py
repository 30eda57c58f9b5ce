"""No secret leaks: canaries in every token, secret and URL, a failure of every kind, and
then no canary in any log line, output, exception message, traceback or database byte."""

from __future__ import annotations

import asyncio
import json
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.receiver import Received, Receiver, serving

import candor
from candor.adapters.webhook import WebhookAdapter
from candor.cli import main
from candor.delivery import idempotency_key
from candor.testing import reset

CANARY = "CANARY-7f3a9c"


def echo(status: int, **extra: object) -> object:
    """An answer that quotes every header and the path back, as careless services do."""

    def answer(request: Received) -> tuple[int, dict[str, str], bytes]:
        said = {
            "error": f"refused {request.path} with {request.headers}",
            "message": f"token {request.headers.get('authorization')}",
            **extra,
        }
        return status, {"Content-Type": "application/json"}, json.dumps(said).encode()

    return answer


def slow(request: Received) -> tuple[int, dict[str, str], bytes]:
    time.sleep(0.4)  # past the channel's 0.1 s timeout: a read timeout
    return 200, {}, b""


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, ...]]:
    made = [
        Receiver(answer=echo(401)),  # type: ignore[arg-type]
        Receiver(answer=echo(400)),  # type: ignore[arg-type]
        Receiver(answer=echo(500)),  # type: ignore[arg-type]
        Receiver(answer=echo(429, retry_after=7200)),  # type: ignore[arg-type]
        Receiver(answer=slow),
    ]
    with serving(*made) as running:
        yield running


def test_canaries_never_leak(
    tmp_path: Path,
    receivers: tuple[Receiver, ...],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = [f"{r.url}/{CANARY}-url-{n}?token={CANARY}" for n, r in enumerate(receivers)]
    urls.append(f"http://127.0.0.1:1/{CANARY}-refused")  # nothing listens: connection refused
    channels = ""
    for number, url in enumerate(urls):
        monkeypatch.setenv(f"HOOK_URL_{number}", url)
        channels += (
            f'[[channels]]\nname = "hook-{number}"\nadapter = "webhook"\n'
            f'url = "${{HOOK_URL_{number}}}"\nsecret = "${{HOOK_SECRET}}"\ntimeout = 0.1\n'
            f"receiver_deduplicates = {'false' if number == 4 else 'true'}\n"
            'headers = { Authorization = "Bearer ${HOOK_TOKEN}" }\n\n'
        )
    monkeypatch.setenv("HOOK_SECRET", f"whsec-{CANARY}-secret")
    monkeypatch.setenv("HOOK_TOKEN", f"{CANARY}-token")
    config = tmp_path / "candor.toml"
    config.write_text(channels, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    seen: list[str] = []
    for arguments in (
        ["-vv", "open", "Checkout down", "-c", "Checkout", "-m", "Checkout fails."],
        ["-vv", "--json", "deliver", "--force"],
        ["-vv", "deliver", "--force"],
        ["list"],
    ):
        with pytest.raises(SystemExit) if arguments != ["list"] else _nothing():
            main(arguments)
        captured = capsys.readouterr()
        seen += [captured.out, captured.err]
    with candor.Communicator.from_config(config) as comms:
        incident_id = comms.list()[0].id

    # The library's own logging (no CLI logging: the standard library logger alone).
    reset()
    with candor.Communicator.from_config(config) as comms:
        outcomes = comms.deliver_pending(force=True)
    seen += [str(o.error) for o in outcomes]
    seen += [caplog.text]
    assert {o.state.value for o in outcomes} <= {"retry", "failed"}
    assert len(outcomes) == 4  # the two refused for good are not tried again

    # Exceptions and their whole tracebacks, chained causes included.
    loaded = candor.Communicator.from_config(config)
    try:
        incident = loaded.get(incident_id)
        for name, adapter in loaded.adapters.items():
            assert isinstance(adapter, WebhookAdapter)
            update = incident.updates[0]
            message = loaded.preview(incident_id, message="Again.")[0]
            context = candor.DeliveryContext(
                channel=name,
                incident=incident,
                update=update,
                idempotency_key=idempotency_key(incident.id, update.id, name),
                organization=loaded._async.organization,
                now=incident.created_at,
            )
            with pytest.raises(candor.DeliveryError) as caught:
                asyncio.run(_post(adapter, message, context))
            seen.append("".join(traceback.format_exception(caught.value)))
            seen.append(repr(caught.value))
    finally:
        loaded.close()

    database = b"".join(p.read_bytes() for p in tmp_path.glob("candor.db*"))
    assert b"Checkout fails." in database  # the store was written, and is what we search
    assert CANARY.encode() not in database
    for text in seen:
        assert CANARY not in text
    joined = "\n".join(seen)
    for expected in ("HTTP 401", "HTTP 400", "HTTP 500", "HTTP 429", "ReadTimeout", "ConnectError"):
        assert expected in joined
    assert "**********" in joined


async def _post(
    adapter: WebhookAdapter, message: candor.Message, context: candor.DeliveryContext
) -> None:
    async with httpx.AsyncClient() as client:
        adapter.client = client
        await adapter.post(message, context)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
