"""The one table from the errors under HTTP to httpx's exceptions."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

import h11
import httpx
import pytest

from candor._http.errors import Phase, lookup, mapped

REQUEST = httpx.Request("POST", "https://hooks.example/secret-token?key=hunter2")


@pytest.mark.parametrize(
    ("phase", "raised", "expected"),
    [
        (Phase.POOL, TimeoutError(), httpx.PoolTimeout),
        (Phase.CONNECT, TimeoutError(), httpx.ConnectTimeout),
        (Phase.CONNECT, ConnectionRefusedError(errno.ECONNREFUSED, "refused"), httpx.ConnectError),
        (Phase.CONNECT, socket.gaierror(socket.EAI_NONAME, "unknown"), httpx.ConnectError),
        (Phase.CONNECT, ssl.SSLCertVerificationError("certificate verify failed"),
         httpx.ConnectError),
        (Phase.WRITE, TimeoutError(), httpx.WriteTimeout),
        (Phase.WRITE, BrokenPipeError(errno.EPIPE, "pipe"), httpx.WriteError),
        (Phase.WRITE, h11.LocalProtocolError("bad header"), httpx.LocalProtocolError),
        (Phase.READ, TimeoutError(), httpx.ReadTimeout),
        (Phase.READ, ConnectionResetError(errno.ECONNRESET, "reset"), httpx.ReadError),
        (Phase.READ, ssl.SSLError("bad record mac"), httpx.ReadError),
        (Phase.READ, h11.RemoteProtocolError("illegal status line"), httpx.RemoteProtocolError),
    ],
)  # fmt: skip
def test_each_lower_error_becomes_httpx_exception_for_its_phase(
    phase: Phase, raised: Exception, expected: type[httpx.TransportError]
) -> None:
    with pytest.raises(httpx.TransportError) as caught, mapped(phase, REQUEST, where="h:443"):
        raise raised
    assert type(caught.value) is expected
    assert caught.value.request is REQUEST
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.parametrize(
    "raised",
    [ValueError("a bug"), httpx.ReadTimeout("already httpx's"), asyncio.CancelledError()],
)
def test_what_the_table_does_not_list_passes_unchanged(raised: BaseException) -> None:
    with pytest.raises(type(raised)) as caught, mapped(Phase.READ, REQUEST):
        raise raised
    assert caught.value is raised


def test_a_timeout_is_looked_up_before_the_oserror_it_is() -> None:
    assert issubclass(TimeoutError, OSError)
    assert lookup(Phase.READ, TimeoutError) == lookup(Phase.READ, asyncio.TimeoutError)
    assert lookup(Phase.READ, TimeoutError)[0] is httpx.ReadTimeout  # type: ignore[index]


class TestMessages:
    def test_they_say_what_happened_in_words(self) -> None:
        cases = [
            (Phase.CONNECT, 2.0, ConnectionRefusedError(errno.ECONNREFUSED, "x"),
             "cannot connect to h:443: Connection refused"),
            (Phase.CONNECT, 2.0, TimeoutError(), "no connection to h:443 within 2 s"),
            (Phase.CONNECT, None, TimeoutError(errno.ETIMEDOUT, "x"),
             "no connection to h:443 in time (Connection timed out)"),
            (Phase.CONNECT, 2.0, socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
             "cannot connect to h:443: cannot resolve the host name: Name or service not known"),
            (Phase.READ, 0.5, TimeoutError(), "no answer within 0.5 s"),
            (Phase.WRITE, 0.5, TimeoutError(), "could not send within 0.5 s"),
            (Phase.POOL, 1.0, TimeoutError(), "no connection free within 1 s (h:443)"),
        ]  # fmt: skip
        for phase, timeout, raised, message in cases:
            with (
                pytest.raises(httpx.TransportError) as caught,
                mapped(phase, REQUEST, timeout=timeout, where="h:443"),
            ):
                raise raised
            assert str(caught.value) == message

    def test_they_never_quote_the_url(self) -> None:
        for phase in Phase:
            for raised in (TimeoutError(), OSError(errno.EHOSTUNREACH, "x")):
                if phase is Phase.POOL and not isinstance(raised, TimeoutError):
                    continue  # waiting for the pool does no I/O
                with (
                    pytest.raises(httpx.TransportError) as caught,
                    mapped(phase, REQUEST, timeout=1.0, where="hooks.example:443"),
                ):
                    raise raised
                assert "secret-token" not in str(caught.value)
                assert "hunter2" not in str(caught.value)
