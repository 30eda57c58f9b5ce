"""One update mailed to 10,000 subscribers: candor beside a plain smtplib loop.

A local SMTP sink (aiosmtpd, a process of its own on 127.0.0.1) accepts every mail
and counts, per recipient, the mails it kept. In one run this script times, each in
a fresh process against a fresh sink:

- candor: ``Communicator.open`` of an incident whose scope matches all 10,000
  confirmed subscribers of an ``email`` channel (recipients decided and recorded in
  SQLite, then mailed over ``connections`` SMTP connections, each acceptance
  recorded), with the process's peak memory (maximum resident set size);
- the anchor: a plain loop over one ``smtplib.SMTP`` connection sending the same
  kind of mail (``multipart/alternative``, text and HTML, the same headers, one
  per recipient, built with the standard library's ``email`` package).

Targets (issue 17): candor at least 3 x faster than the loop, peak RSS under
200 MiB, and 10,000 of 10,000 received exactly once.

    python benchmarks/email_fanout.py [--people 10000] [--connections 16] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


# -- the sink ---------------------------------------------------------------------------


def _sink(port_file: Path, counts_file: Path) -> None:
    from aiosmtpd.smtp import SMTP

    counts: Counter[str] = Counter()

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            for address in envelope.rcpt_tos:  # type: ignore[attr-defined]
                counts[address] += 1
            return "250 2.0.0 Accepted"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        server = await loop.create_server(
            lambda: SMTP(Handler(), hostname="sink.test", decode_data=False),
            "127.0.0.1",
            0,
        )
        port_file.write_text(str(server.sockets[0].getsockname()[1]))
        await stop.wait()
        server.close()
        counts_file.write_text(json.dumps(counts))

    asyncio.run(main())


class Sink:
    """The sink process: started fresh for each run, its counts read when it stops."""

    def __init__(self, folder: Path) -> None:
        self.port_file = folder / "port"
        self.counts_file = folder / "counts.json"
        for stale in (self.port_file, self.counts_file):
            stale.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--sink", str(self.port_file), str(self.counts_file)]
        )
        deadline = time.monotonic() + 20
        while not self.port_file.exists() or not self.port_file.read_text():
            if time.monotonic() > deadline:
                raise RuntimeError("the SMTP sink did not start")
            time.sleep(0.02)
        self.port = int(self.port_file.read_text())

    def stop(self) -> Counter[str]:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        return Counter(json.loads(self.counts_file.read_text()))


# -- candor -----------------------------------------------------------------------------


def _candor(port: int, people: int, connections: int, folder: Path) -> None:
    import candor
    from candor.store.sqlite import SQLiteStore
    from candor.vocabulary import Subscriber

    store_path = folder / "candor.db"
    now = datetime.now(UTC)
    store = SQLiteStore(store_path)
    for n in range(people):
        store.add_subscriber(
            Subscriber(
                address=f"person{n}@example.org",
                subscribed_at=now,
                confirmed_at=now,
                source="benchmark",
            )
        )
    channel = candor.Channel(
        name="subscribers",
        adapter="email",
        settings={
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "from": "Acme Status <status@acme.example>",
            "secret": "a-benchmark-secret-0123456789abcdef",
            "connections": connections,
        },
    )
    organization = candor.Organization(name="Acme", status_page_url="https://status.acme.example")
    with candor.Communicator(
        [channel], store=store_path, base_dir=folder, organization=organization
    ) as comms:
        started = time.perf_counter()
        incident = comms.open(
            "Checkout failing in eu-west",
            {"components": ["Checkout"], "regions": ["eu-west"], "affected_fraction": 1.0},
            "Payments at checkout fail with an error for every customer in eu-west.",
        )
        seconds = time.perf_counter() - started
    states = [d.state.value for d in incident.deliveries]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak": peak, "states": states}))


# -- the anchor -------------------------------------------------------------------------


def _anchor(port: int, people: int) -> None:
    text = "Payments at checkout fail with an error for every customer in eu-west.\n"
    html = f"<!doctype html><html><body><p>{text}</p></body></html>"
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(people):
            address = f"person{n}@example.org"
            mail = EmailMessage(policy=SMTP_POLICY)
            mail["Subject"] = "[Investigating] Checkout failing in eu-west"
            mail["From"] = "Acme Status <status@acme.example>"
            mail["To"] = address
            mail["Message-ID"] = f"<{n}.benchmark@acme.example>"
            mail["Date"] = format_datetime(datetime.now(UTC))
            mail["Auto-Submitted"] = "auto-generated"
            mail["List-Unsubscribe"] = f"<https://status.acme.example/unsubscribe?token={n}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            mail.set_content(text)
            mail.add_alternative(html, subtype="html")
            smtp.sendmail("status@acme.example", [address], mail.as_bytes())
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak": 0, "states": []}))


# -- the run ----------------------------------------------------------------------------


def _child(*arguments: str) -> dict[str, object]:
    environment = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    done = subprocess.run(
        [sys.executable, __file__, *arguments],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{arguments[0]} failed:\n{done.stderr}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _exactly_once(counts: Counter[str], people: int) -> int:
    wanted = {f"person{n}@example.org" for n in range(people)}
    return sum(1 for address in wanted if counts.get(address) == 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--runs", type=int, default=1)
    arguments = parser.parse_args()
    people = arguments.people
    candor_times: list[float] = []
    anchor_times: list[float] = []
    peaks: list[int] = []
    once: list[int] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for run in range(arguments.runs):
            sink = Sink(folder)
            work = folder / f"candor-{run}"
            work.mkdir()
            result = _child(
                "--candor", str(sink.port), str(people), str(arguments.connections), str(work)
            )
            counts = sink.stop()
            candor_times.append(float(result["seconds"]))  # type: ignore[arg-type]
            peaks.append(int(result["peak"]))  # type: ignore[call-overload]
            once.append(_exactly_once(counts, people))
            if result["states"] != ["sent"]:
                print(f"candor's delivery ended {result['states']}", file=sys.stderr)
            sink = Sink(folder)
            result = _child("--anchor", str(sink.port), str(people))
            sink.stop()
            anchor_times.append(float(result["seconds"]))  # type: ignore[arg-type]
    ours = statistics.median(candor_times)
    anchor = statistics.median(anchor_times)
    print(f"one update to {people:,} subscribers, {arguments.runs} run(s), medians")
    print(f"  candor ({arguments.connections} connections): {ours:8.2f} s")
    print(f"  smtplib loop (1 connection):     {anchor:8.2f} s")
    print(f"  speed-up: {anchor / ours:.2f} x   (target: at least 3 x)")
    print(f"  candor peak RSS: {max(peaks) / 2**20:.0f} MiB   (target: under 200 MiB)")
    print(f"  received exactly once: {min(once):,} of {people:,}   (target: all)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--sink":
        _sink(Path(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--candor":
        _candor(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--anchor":
        _anchor(int(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
