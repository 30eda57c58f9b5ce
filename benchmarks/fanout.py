"""One update fanned out to 20 and 200 webhook channels: candor beside Apprise.

A local HTTP server on 127.0.0.1 (a process of its own) answers every POST
after 100 ms. In the same run this script times:

- one plain request (httpx, a fresh connection): the single-request latency;
- candor, in a fresh process per run: the first ``Communicator.open`` to N
  ``webhook`` channels (render, record in SQLite, deliver, record receipts), its
  imports and new connections included, then the ``update`` that follows it on
  the connections kept alive, with the process's peak memory (maximum resident
  set size);
- Apprise: ``Apprise.notify`` to the same N targets (``json://`` URLs), run in a
  virtual environment of its own (``benchmarks/.venv-apprise``, made on first
  use with ``python -m venv`` and ``pip install apprise``; never in tests or CI).

Targets (issues 4 and 13): the first open to 20 channels within 1.3 x the
single request, to 200 within 3 x. Proxy settings are removed from the
environment first, so that every request goes straight to the server.

    python benchmarks/fanout.py [--no-apprise] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
DELAY = 0.100
COUNTS = (20, 200)


# -- the server ------------------------------------------------------------------------


async def _serve(port_file: Path) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                await asyncio.sleep(DELAY)
                body = b'{"ok":true}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    port_file.write_text(str(server.sockets[0].getsockname()[1]))
    async with server:
        await server.serve_forever()


def start_server() -> tuple[subprocess.Popen[bytes], int]:
    port_file = Path(tempfile.mkdtemp()) / "port"
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
    for _ in range(200):
        if port_file.exists() and port_file.read_text():
            return process, int(port_file.read_text())
        time.sleep(0.02)
    process.kill()
    raise SystemExit("the benchmark server did not start")


# -- the measured sides ----------------------------------------------------------------


def single_request(port: int, runs: int) -> float:
    import httpx

    times = []
    for _ in range(runs):
        with httpx.Client() as client:
            start = time.perf_counter()
            client.post(f"http://127.0.0.1:{port}/single", json={"x": 1}).raise_for_status()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def candor_once(port: int, count: int) -> dict[str, float]:
    """Runs in a fresh process: open one incident on ``count`` webhook channels."""
    import candor

    folder = Path(tempfile.mkdtemp())
    channels = [
        candor.Channel(
            name=f"hook-{n}",
            adapter="webhook",
            settings={"url": f"http://127.0.0.1:{port}/hook/{n}", "secret": "s" * 32},
        )
        for n in range(count)
    ]
    with candor.Communicator(channels, store=folder / "candor.db", base_dir=folder) as comms:
        # The first post of a process also pays for imports and connections: time it
        # apart ("cold"), then time the update that follows ("one update").
        start = time.perf_counter()
        incident = comms.open("API down", {"components": ["API"]}, "Requests fail.")
        cold = time.perf_counter() - start
        start = time.perf_counter()
        incident = comms.update(incident.id, message="We found the cause.", status="identified")
        elapsed = time.perf_counter() - start
    opened = sum(d.state == "sent" for d in incident.deliveries if d.seq == 1)
    sent = sum(d.state == "sent" for d in incident.deliveries if d.seq == 2)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": elapsed, "cold": cold, "opened": opened, "sent": sent, "peak_mib": peak}


def run_candor(port: int, count: int, runs: int) -> dict[str, float]:
    results = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, __file__, "--candor", str(port), str(count)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results.append(json.loads(output.splitlines()[-1]))
    return {
        "seconds": statistics.median(r["seconds"] for r in results),
        "cold": statistics.median(r["cold"] for r in results),
        "opened": min(r["opened"] for r in results),  # the worst run's
        "sent": min(r["sent"] for r in results),
        "peak_mib": max(r["peak_mib"] for r in results),
    }


_APPRISE = """
import json, resource, sys, time
import apprise
port, count = int(sys.argv[1]), int(sys.argv[2])
notifier = apprise.Apprise()
for n in range(count):
    notifier.add(f"json://127.0.0.1:{port}/apprise/{n}")
start = time.perf_counter()
ok = notifier.notify(title="API down", body="Requests fail.")
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "ok": bool(ok), "peak_mib": peak,
                  "version": apprise.__version__}))
"""


def apprise_python() -> Path | None:
    folder = HERE / ".venv-apprise"
    python = folder / "bin" / "python"
    if not python.exists():
        print("(making benchmarks/.venv-apprise with Apprise, once)", file=sys.stderr)
        venv.create(folder, with_pip=True)
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "apprise"], check=False
        )
        if installed.returncode != 0:
            return None
    return python


def run_apprise(python: Path, port: int, count: int, runs: int) -> dict[str, object]:
    results = []
    for _ in range(runs):
        output = subprocess.run(
            [str(python), "-c", _APPRISE, str(port), str(count)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results.append(json.loads(output.splitlines()[-1]))
    return {
        "seconds": statistics.median(float(r["seconds"]) for r in results),
        "peak_mib": max(float(r["peak_mib"]) for r in results),
        "version": results[0]["version"],
    }


# -- the report ------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-apprise", action="store_true", help="Skip the Apprise anchor.")
    parser.add_argument("--runs", type=int, default=3, help="Runs per figure (median).")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--candor", nargs=2, type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        asyncio.run(_serve(Path(arguments.serve)))
        return
    if arguments.candor:
        print(json.dumps(candor_once(*arguments.candor)))
        return

    server, port = start_server()
    try:
        single = single_request(port, runs=max(5, arguments.runs))
        print(f"server answers every POST after {DELAY * 1000:.0f} ms on 127.0.0.1:{port}")
        print(f"single request (httpx, new connection): {single * 1000:.1f} ms")
        print(f"{'':24}{'channels':>9}{'time':>10}{'ratio':>8}{'target':>8}{'peak RSS':>11}")
        targets = {20: 1.3, 200: 3.0}
        python = None if arguments.no_apprise else apprise_python()
        for count in COUNTS:
            result = run_candor(port, count, arguments.runs)
            ratio = result["cold"] / single
            verdict = "ok" if ratio <= targets[count] else "MISSED"
            print(
                f"{'candor, first open':24}{count:>9}{result['cold'] * 1000:>8.0f}ms{ratio:>7.2f}x"
                f"{targets[count]:>7.1f}x{result['peak_mib']:>8.1f} MiB  {verdict}"
                f" ({int(result['opened'])}/{count} sent)"
            )
            print(
                f"{'candor, then an update':24}{count:>9}{result['seconds'] * 1000:>8.0f}ms"
                f"{result['seconds'] / single:>7.2f}x{'':>8}{'':>11}"
                f"  ({int(result['sent'])}/{count} sent)"
            )
            if python is not None:
                anchor = run_apprise(python, port, count, arguments.runs)
                seconds = float(str(anchor["seconds"]))
                print(
                    f"{'apprise ' + str(anchor['version']):24}{count:>9}{seconds * 1000:>8.0f}ms"
                    f"{seconds / single:>7.2f}x{'':>8}{float(str(anchor['peak_mib'])):>8.1f} MiB"
                )
        if python is None and not arguments.no_apprise:
            print("apprise: could not be installed in benchmarks/.venv-apprise; not measured")
    finally:
        server.terminate()
        server.wait()
    print(f"(each figure the median of {arguments.runs} runs; candor in a fresh process per run)")


if __name__ == "__main__":
    os.environ.pop("CANDOR_CRASH_AT", None)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        os.environ.pop(name, None)
        os.environ.pop(name.lower(), None)
    main()
