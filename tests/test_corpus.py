"""The checks agree with careful readers on real published updates (shared/corpus)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "check_corpus.py"


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_corpus", BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checks_meet_the_targets_on_the_labelled_corpus(
    capsys: pytest.CaptureFixture[str],
) -> None:
    benchmark = load_benchmark()
    corpus: Path = benchmark.CORPUS
    if not corpus.is_file():
        pytest.skip(f"the labelled corpus is not beside the repository ({corpus.name})")
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    shares = benchmark.evaluate(records)
    print(capsys.readouterr().out)
    for label, (_, target) in benchmark.LABELS.items():
        assert shares[label] >= target, label
    assert shares["candid_with_error"] <= 0.10
