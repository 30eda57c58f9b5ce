"""The checks agree with careful readers on real published updates (shared/corpus).

The corpus is read at test time from beside the repository; nothing of it is copied here.
These are the issue's whole-corpus targets, one test per file, label and kind; the
held-out figures are the benchmark's to print. A target the checks do not meet yet is
marked as an expected failure with the figure measured, so it stays visible and the mark
must go (the suite's xfail is strict) the day it is met.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "check_corpus.py"


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_corpus", BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


benchmark = load_benchmark()
pytestmark = pytest.mark.skipif(
    not all((benchmark.CORPUS_DIR / name).is_file() for name in benchmark.FILES),
    reason="the labelled corpus is not beside the repository",
)
SECOND = "incident_updates_2.jsonl"
# Whole-corpus targets not met yet, with the figure last measured (see docs/checks.md).
NOT_MET = {
    (SECOND, "minimizing", "any"): "16/18 (88.9%) get a minimizing finding",
    (SECOND, "minimizing", "error"): "13/18 (72.2%) get a minimizing error",
    (SECOND, "candid", "error"): "3/34 (8.8%) candid records get an error",
}


@cache
def tally(name: str) -> Any:
    return benchmark.evaluate(benchmark.load(name))


def target(name: str, label: str, kind: str) -> Any:
    reason = NOT_MET.get((name, label, kind))
    marks = [pytest.mark.xfail(reason=f"not met yet: {reason}", strict=True)] if reason else []
    return pytest.param(name, label, kind, marks=marks, id=f"{name}-{label}-{kind}")


@pytest.mark.parametrize(
    ("name", "label", "kind"),
    [target(n, label, k) for n in benchmark.FILES for label in benchmark.LABELS
     for k in ("any", "error")],
)  # fmt: skip
def test_each_label_is_found(name: str, label: str, kind: str) -> None:
    """At least 90% of a label's records get a finding of its kind, at least 80% an error."""
    found = tally(name)
    hits = found.any_hit if kind == "any" else found.error_hit
    wanted = benchmark.ANY_TARGET if kind == "any" else benchmark.ERROR_TARGET
    assert hits[label] / found.records[label] >= wanted, (hits[label], found.records[label])


@pytest.mark.parametrize(
    ("name", "label", "kind"), [target(n, "candid", "error") for n in benchmark.FILES]
)
def test_candid_records_rarely_get_an_error(name: str, label: str, kind: str) -> None:
    found = tally(name)
    assert found.candid_errors / found.candid <= benchmark.CANDID_ERROR_TARGET, (
        found.candid_errors,
        found.candid,
    )


def test_the_folds_are_stable_and_keep_a_company_together() -> None:
    """The split is a pure function of the company name, so it cannot drift between runs."""
    assert benchmark.fold("Example Corp") == benchmark.fold("  example corp ")
    assert {benchmark.fold(f"company {i}") for i in range(50)} == set(range(benchmark.FOLDS))
    assert benchmark.DEVELOPMENT_FOLDS.isdisjoint(benchmark.HELD_OUT_FOLDS)
