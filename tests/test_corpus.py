"""The checks agree with careful readers on real published updates (shared/corpus).

The corpus is read at test time from beside the repository; nothing of it is copied here.
These are the whole-corpus targets; the held-out figures are the benchmark's to print.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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


@pytest.mark.parametrize("name", benchmark.FILES)
class TestTheWholeCorpus:
    def test_every_label_is_found_in_at_least_nine_records_of_ten(self, name: str) -> None:
        tally = benchmark.evaluate(benchmark.load(name))
        for label, n in tally.records.items():
            assert tally.any_hit[label] / n >= benchmark.ANY_TARGET, (label, tally.any_hit, n)

    def test_every_label_gets_an_error_in_at_least_eight_records_of_ten(self, name: str) -> None:
        tally = benchmark.evaluate(benchmark.load(name))
        for label, n in tally.records.items():
            assert tally.error_hit[label] / n >= benchmark.ERROR_TARGET, (label, tally.error_hit, n)

    def test_candid_records_rarely_get_an_error(self, name: str) -> None:
        tally = benchmark.evaluate(benchmark.load(name))
        assert tally.candid_errors / tally.candid <= benchmark.CANDID_ERROR_TARGET, (
            tally.candid_errors,
            tally.candid,
        )


def test_the_folds_are_stable_and_keep_a_company_together() -> None:
    """The split is a pure function of the company name, so it cannot drift between runs."""
    assert benchmark.fold("Example Corp") == benchmark.fold("  example corp ")
    assert {benchmark.fold(f"company {i}") for i in range(50)} == set(range(benchmark.FOLDS))
    assert benchmark.DEVELOPMENT_FOLDS.isdisjoint(benchmark.HELD_OUT_FOLDS)
