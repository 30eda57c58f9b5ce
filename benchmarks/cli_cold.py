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

Each figure is printed as wall time and as CPU time (user and system, of the
process): the targets are for the wall time, and the CPU figures show how much
of it is the process's own work when the machine is busy with others.

The ``candor`` measured is the one installed beside the Python that runs this
script (or ``--candor PATH``), so the same script measures any checkout;
``--before PATH`` measures a second one (an older checkout's) in the same run,
its processes interleaved with the others, and prints its lines too. Every
process may write bytecode caches, and each command runs once untimed first, so
a figure is what an installed candor costs, not a first compile of its source.
Proxy settings are removed from the processes' environment:

    python benchmarks/cli_cold.py [--runs 7] [--no-apprise] [--candor PATH] [--before PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

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


# An installed package has its bytecode compiled: let every process write (and so find) it.
# Proxy settings go, so that every request goes straight to the server.
_DROPPED = {"PYTHONDONTWRITEBYTECODE", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"}
ENVIRONMENT = {k: v for k, v in os.environ.items() if k.upper() not in _DROPPED}


class Run(NamedTuple):
    """One fresh process: its wall time, its CPU time (user and system) and its output."""

    wall: float
    cpu: float
    out: str


def timed(command: Sequence[str], cwd: Path | None = None) -> Run:
    """Run ``command`` as a fresh process, which must succeed, and time it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False, env=ENVIRONMENT
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, done.stdout)


def medians(runs: list[Run]) -> Run:
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs), "")


def repeated(runs: int, command: Sequence[str]) -> Run:
    timed(command)  # untimed: bytecode caches
    return medians([timed(command) for _ in range(runs)])


def measure_posts(
    candors: Sequence[str], port: int, runs: int
) -> tuple[list[tuple[Run, Run]], Run]:
    """Medians of ``candor open`` and ``candor update`` per candor, and of the single request."""
    folders = [Path(tempfile.mkdtemp(prefix="candor-cli-cold-")) for _ in candors]
    configs = [str(write_config(folder, port)) for folder in folders]
    for candor, config, folder in zip(candors, configs, folders, strict=True):
        # Makes the store (a command that only reads one never creates it) and compiles and
        # caches the bytecode, untimed.
        warm = [candor, "--config", config, "open", "Warm-up", "-c", "API", "-m", "Requests fail."]
        timed(warm, cwd=folder)
    opens: list[list[Run]] = [[] for _ in candors]
    updates: list[list[Run]] = [[] for _ in candors]
    anchors: list[Run] = []
    post = (
        "import httpx; "
        f"httpx.post('http://127.0.0.1:{port}/single', json={{'x': 1}}).raise_for_status()"
    )
    for n in range(runs):
        # Interleaved, so a burst of load on the machine falls on every side alike.
        for side, (candor, config, folder) in enumerate(
            zip(candors, configs, folders, strict=True)
        ):
            opened = timed(
                [candor, "--config", config, "open", f"API down {n}", "-c", "API", "-m",
                 "Requests fail."],
                cwd=folder,
            )  # fmt: skip
            opens[side].append(opened)
            incident_id = opened.out.split(":", 1)[0].strip()
            updates[side].append(
                timed(
                    [candor, "--config", config, "update", incident_id, "-m",
                     "We found the cause.", "--status", "identified"],
                    cwd=folder,
                )
            )  # fmt: skip
        anchors.append(timed([sys.executable, "-c", post]))
    pairs = [(medians(o), medians(u)) for o, u in zip(opens, updates, strict=True)]
    return pairs, medians(anchors)


def line(name: str, run: Run, anchor: Run | None = None, target: float | None = None) -> str:
    text = f"{name:40}{run.wall * 1000:>7.0f}ms{run.cpu * 1000:>9.0f}ms"
    if anchor is None or target is None:
        return text
    ratio, cpu_ratio = run.wall / anchor.wall, run.cpu / anchor.cpu
    verdict = "ok" if ratio <= target else "MISSED"
    return f"{text}{ratio:>7.2f}x{cpu_ratio:>7.2f}x{target:>7.1f}x  {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="Fresh processes per figure.")
    parser.add_argument("--no-apprise", action="store_true", help="Skip the Apprise anchor.")
    parser.add_argument(
        "--candor",
        default=str(Path(sys.executable).parent / "candor"),
        help="The candor executable (default: the one beside this Python).",
    )
    parser.add_argument(
        "--before", help="Another candor executable to measure in the same run (an older one)."
    )
    arguments = parser.parse_args()
    candor, runs = arguments.candor, arguments.runs
    candors = [candor] if arguments.before is None else [candor, arguments.before]

    server, port = fanout.start_server()
    try:
        pairs, single = measure_posts(candors, port, runs)
    finally:
        server.terminate()
        server.wait()
    version = timed([candor, "--version"]).out.strip()
    print(f"{version}; python -c anchors run by {sys.version.split()[0]}")
    print(f"server answers every POST after {fanout.DELAY * 1000:.0f} ms on 127.0.0.1")
    print(f"{'':40}{'wall':>9}{'cpu':>11}{'ratio':>8}{'(cpu)':>8}{'target':>8}")
    print(line("python -c httpx.post (anchor)", single))
    for (opened, updated), tag in zip(pairs, ["", " [before]"], strict=False):
        print(line(f"candor open ({CHANNELS} channels){tag}", opened, single, TARGET_POST))
        print(line(f"candor update ({CHANNELS} channels){tag}", updated, single, TARGET_POST))

    help_run = repeated(runs, [candor, "--help"])
    python = None if arguments.no_apprise else fanout.apprise_python()
    if python is not None:
        apprise = repeated(runs, [str(python), "-c", "import apprise"])
        print(line('python -c "import apprise" (anchor)', apprise))
        print(line("candor --help", help_run, apprise, TARGET_HELP))
    else:
        if not arguments.no_apprise:
            print("apprise: could not be installed in benchmarks/.venv-apprise; not measured")
        print(line("candor --help", help_run))
    print(line("candor open --help", repeated(runs, [candor, "open", "--help"])))
    print(
        line(
            "python -c pass (an empty interpreter)", repeated(runs, [sys.executable, "-c", "pass"])
        )
    )
    print(
        f"(each figure the median of {runs} fresh processes; the target is for the wall"
        " time, the CPU ratio says how much of it is candor's own work on a loaded machine)"
    )


if __name__ == "__main__":
    os.environ.pop("CANDOR_CRASH_AT", None)
    main()
