"""Every code example in README.md and docs/*.md runs as written, so the docs stay true.

Each ```python block runs in a fresh process in an empty folder (no
``candor.toml``, no ``$CANDOR_CONFIG``), as a reader who pastes it would run
it. A block preceded by ``<!-- continues -->`` runs after the blocks before it
in the same file, in one program (a page that builds an example step by step).
A ```sh block runs when it is preceded by ``<!-- run -->``: each line that is
a ``candor`` command (the part after ``&&`` when the line installs first) runs
in that folder. A block that cannot run as written says why, in a
``<!-- not-run: reason -->`` comment before it; they are counted and reported,
and kept few (:data:`MOST_NOT_RUN`).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MOST_NOT_RUN = 15
"""How many blocks may be marked not-run; raise it only with a reason in each marker."""

_BLOCK = re.compile(
    r"(?:<!--\s*(?P<marker>not-run:[^>]*|continues|run)\s*-->\s*\n)?"
    r"^```(?P<lang>python|sh|console|bash|shell)\n(?P<body>.*?)^```",
    re.S | re.M,
)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    body: str
    marker: str | None

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def not_run(self) -> str | None:
        if self.marker and self.marker.startswith("not-run:"):
            return self.marker.removeprefix("not-run:").strip()
        return None


def blocks() -> list[Block]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            line = text[: match.start("lang")].count("\n") + 1
            found.append(Block(page, line, match["lang"], match["body"], match["marker"]))
    return found


BLOCKS = blocks()


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CANDOR_CONFIG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def program(block: Block) -> str:
    """The block's code, after the blocks it continues (the file's earlier python blocks)."""
    if block.marker != "continues":
        return block.body
    earlier: list[str] = []
    for other in BLOCKS:
        if other == block:
            break
        if other.page == block.page and other.lang == "python" and other.not_run is None:
            earlier = [other.body] if other.marker != "continues" else [*earlier, other.body]
    return "\n".join([*earlier, block.body])


PYTHON = [b for b in BLOCKS if b.lang == "python" and b.not_run is None]
SHELL = [b for b in BLOCKS if b.lang != "python" and b.marker == "run"]


@pytest.mark.parametrize("block", PYTHON, ids=lambda b: b.name)
def test_python_example_runs(block: Block, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", program(block)],
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{block.name} failed:\n{done.stdout}\n{done.stderr}"


def commands(block: Block) -> list[list[str]]:
    """Each ``candor`` command of a shell block, as its words."""
    found = []
    for raw in block.body.replace("\\\n", " ").splitlines():
        line = raw.split(" #", 1)[0].strip().removeprefix("$ ")
        part = line.rsplit("&& ", 1)[-1].strip()
        if part.startswith("candor "):
            found.append(shlex.split(part))
    return found


@pytest.mark.parametrize("block", SHELL, ids=lambda b: b.name)
def test_shell_example_runs(block: Block, tmp_path: Path) -> None:
    found = commands(block)
    assert found, f"{block.name} is marked run but has no candor command"
    candor = Path(sys.executable).with_name("candor")
    for words in found:
        done = subprocess.run(
            [str(candor), *words[1:]],
            cwd=tmp_path,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{block.name}: {shlex.join(words)}:\n{done.stderr}"


def test_every_block_runs_or_says_why_not(capsys: pytest.CaptureFixture[str]) -> None:
    """Every block is run, or marked not-run with a reason; the not-run ones are few."""
    unmarked = [b.name for b in BLOCKS if b.lang != "python" and b.marker is None]
    assert unmarked == [], f"shell blocks neither run nor marked not-run: {unmarked}"
    skipped = [b for b in BLOCKS if b.not_run is not None]
    assert all(b.not_run for b in skipped), "a not-run marker needs its reason"
    with capsys.disabled():
        print(
            f"\ndocs examples: {len(PYTHON)} python and {len(SHELL)} shell blocks run, "
            f"{len(skipped)} not run:"
        )
        for block in skipped:
            print(f"  {block.name}: {block.not_run}")
    assert len(skipped) <= MOST_NOT_RUN


def test_the_examples_use_no_fixed_date_that_will_pass() -> None:
    """A date in a run example is relative to now; a fixed one soon lies in the past."""
    dated = re.compile(r"\b20\d\d-\d\d-\d\d\b")
    fixed = [b.name for b in PYTHON + SHELL if dated.search(b.body)]
    assert fixed == [], f"examples with a fixed date: {fixed}"
