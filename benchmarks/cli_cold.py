"""The ``candor`` command as a runbook runs it: every call a fresh process.

A local HTTP server on 127.0.0.1 (a process of its own, the one
``benchmarks/fanout.py`` starts) answers every POST after 100 ms. In the same
run this script times, each figure the median of several fresh processes:

- ``candor open`` and then ``candor update`` to 20 ``webhook`` channels (a
  ``candor.toml`` in a temporary folder; the store is made before the first
  timed run, as a runbook's already exists), beside a fresh
  ``python -c "import httpx; httpx.post(...)"`` to the same server: the
  single request a shell could make instead. Target: at most 1.5 x.
- ``candor --help`` beside a fresh ``python -c "import apprise"``, run in the
  virtual environment ``benchmarks/fanout.py`` makes for Apprise
  (``benchmarks/.venv-apprise``; never in tests or CI). Target: at most 0.5 x.
  ``candor open --help`` and ``python -c "pass"`` are printed for reference.

The ``candor`` measured is the one installed beside the Python that runs this
script (or ``--candor PATH``), so the same script measures any checkout. Every
process may write bytecode caches, and each command runs once untimed first, so
a figure is what an installed candor costs, not a first compile of its source:

    python benchmarks/cli_cold.py [--runs 7] [--no-apprise] [--candor PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fanout  # noqa: E402  (the receiver and the Apprise environment, shared)

CHANNELS = 20
TARGET_POST = 1.5
TARGET_HELP = 0.5


def write_config(folder: Path, port: int) -> Path:
    lines = ['[store]\nurl = "sqlite:///candor.db"\n']
    for n in range(CHANNELS):
        lines.append(
            f'[[channels]]\nname = "hook-{n}"\nadapter = "webhook"\n'
            f'url = "http://127.0.0.1:{port}/hook/{n}"\nsecret = "{"s" * 32}"\n'
        )
    path = folder / "candor.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# An installed package has its bytecode compiled; let every process write (and so find) it.
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: Sequence[str], cwd: Path | None = None) -> tuple[float, str]:
    """Wall time of one fresh process, and its standard output; it must succeed."""
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False, env=ENVIRONMENT
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    return elapsed, done.stdout


def median(runs: int, once: Callable[[], float]) -> float:
    once()  # untimed: bytecode caches
    return statistics.median(once() for _ in range(runs))


def measure_posts(candor: str, port: int, runs: int) -> tuple[float, float, float]:
    """Medians of ``candor open``, ``candor update`` and the fresh-Python single request."""
    folder = Path(tempfile.mkdtemp(prefix="candor-cli-cold-"))
    config = str(write_config(folder, port))
    timed([candor, "--config", config, "list"], cwd=folder)  # makes the store, untimed
    warm = [candor, "--config", config, "open", "Warm-up", "-c", "API", "-m", "Requests fail."]
    timed(warm, cwd=folder)  # compiles and caches the bytecode, untimed
    opens: list[float] = []
    updates: list[float] = []
    anchors: list[float] = []
    post = (
        "import httpx; "
        f"httpx.post('http://127.0.0.1:{port}/single', json={{'x': 1}}).raise_for_status()"
    )
    for n in range(runs):
        # Interleaved, so a burst of load on the machine falls on every side alike.
        seconds, out = timed(
            [candor, "--config", config, "open", f"API down {n}", "-c", "API", "-m",
             "Requests fail."],
            cwd=folder,
        )  # fmt: skip
        opens.append(seconds)
        incident_id = out.split(":", 1)[0].strip()
        seconds, _ = timed(
            [candor, "--config", config, "update", incident_id, "-m", "We found the cause.",
             "--status", "identified"],
            cwd=folder,
        )  # fmt: skip
        updates.append(seconds)
        anchors.append(timed([sys.executable, "-c", post])[0])
    return statistics.median(opens), statistics.median(updates), statistics.median(anchors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="Fresh processes per figure.")
    parser.add_argument("--no-apprise", action="store_true", help="Skip the Apprise anchor.")
    parser.add_argument(
        "--candor",
        default=str(Path(sys.executable).parent / "candor"),
        help="The candor executable (default: the one beside this Python).",
    )
    arguments = parser.parse_args()
    candor, runs = arguments.candor, arguments.runs

    server, port = fanout.start_server()
    try:
        opened, updated, single = measure_posts(candor, port, runs)
    finally:
        server.terminate()
        server.wait()
    version = timed([candor, "--version"])[1].strip()
    print(f"{version}; python -c anchors run by {sys.version.split()[0]}")
    print(f"server answers every POST after {fanout.DELAY * 1000:.0f} ms on 127.0.0.1")
    print(f"{'':40}{'time':>9}{'ratio':>8}{'target':>8}")
    print(f"{'python -c httpx.post (anchor)':40}{single * 1000:>7.0f}ms")
    for name, seconds in ((f"candor open ({CHANNELS} channels)", opened),
                          (f"candor update ({CHANNELS} channels)", updated)):  # fmt: skip
        ratio = seconds / single
        verdict = "ok" if ratio <= TARGET_POST else "MISSED"
        print(f"{name:40}{seconds * 1000:>7.0f}ms{ratio:>7.2f}x{TARGET_POST:>7.1f}x  {verdict}")

    help_seconds = median(runs, lambda: timed([candor, "--help"])[0])
    open_help = median(runs, lambda: timed([candor, "open", "--help"])[0])
    bare = median(runs, lambda: timed([sys.executable, "-c", "pass"])[0])
    python = None if arguments.no_apprise else fanout.apprise_python()
    if python is not None:
        anchor = median(runs, lambda: timed([str(python), "-c", "import apprise"])[0])
        label = 'python -c "import apprise" (anchor)'
        print(f"{label:40}{anchor * 1000:>7.0f}ms")
        ratio = help_seconds / anchor
        verdict = "ok" if ratio <= TARGET_HELP else "MISSED"
        print(
            f"{'candor --help':40}{help_seconds * 1000:>7.0f}ms{ratio:>7.2f}x"
            f"{TARGET_HELP:>7.1f}x  {verdict}"
        )
    else:
        if not arguments.no_apprise:
            print("apprise: could not be installed in benchmarks/.venv-apprise; not measured")
        print(f"{'candor --help':40}{help_seconds * 1000:>7.0f}ms")
    print(f"{'candor open --help':40}{open_help * 1000:>7.0f}ms")
    print(f"{'python -c pass (an empty interpreter)':40}{bare * 1000:>7.0f}ms")
    print(f"(each figure the median of {runs} fresh processes)")


if __name__ == "__main__":
    os.environ.pop("CANDOR_CRASH_AT", None)
    main()
