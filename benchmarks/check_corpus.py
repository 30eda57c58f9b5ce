"""How well candor's checks agree with careful readers, on text they were not written against.

Reads both labelled files under ``shared/corpus/`` beside the repository at run time
(``incident_updates.jsonl`` and ``incident_updates_2.jsonl``: real published incident
updates, labelled by hand; see their README). Nothing from them is copied into the project.

**The split (fixed before any rule of this version was written).** Records are grouped by
company. A company's fold is ``sha256(company.strip().lower()) mod 5``; a company keeps its
fold in both files. *Development* folds may be read while rules are written (``--verbose``
prints only their misses); *held-out* folds are not read, and only their figures are printed.
The held-out table is the measure of generalisation; the whole-corpus table is printed
beside it.

How the split was used: the rules were first reworked reading folds 0 and 1 only, with 2, 3
and 4 held out. Measured on 2-4, that rework missed the targets (minimising and vague
causes in the second file), so fold 2 was then read too and became a development fold.
Folds 3 and 4 have never been read; they are the held-out figures printed here.
A second round worked on folds 0-2 and on its own paraphrases only
(``tests/test_check_battery.py``, none from the corpus), seeing figures only through
``--development``; the held-out table was printed once at its end, and no rule changed after.

Per label: recall with any finding of that kind, recall with an error of that kind, and
(for ``candid`` records) the share that get any error at all. Each figure has its count k/n.

    python benchmarks/check_corpus.py [--verbose]
    python benchmarks/check_corpus.py --development   # folds 0-2 only, with their misses

``--development`` is what rule work runs: it never evaluates a held-out record, so
nothing about folds 3 and 4 (not even an aggregate) is seen while rules are written.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from candor.checks import check
from candor.model import Status

CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FILES = ("incident_updates.jsonl", "incident_updates_2.jsonl")
FOLDS = 5
DEVELOPMENT_FOLDS = frozenset({0, 1, 2})
HELD_OUT_FOLDS = frozenset(range(FOLDS)) - DEVELOPMENT_FOLDS

# Which finding codes answer which label.
LABELS: Mapping[str, frozenset[str]] = {
    "minimizing": frozenset({"minimizing"}),
    "hedging": frozenset({"hedging"}),
    "boilerplate_apology": frozenset({"rote-apology"}),
    "vague_cause": frozenset({"vague-cause", "no-cause"}),
    "no_next_update": frozenset({"no-next-update"}),
}
# The targets, for every label, on the held-out folds and on the whole corpus.
ANY_TARGET = 0.90
ERROR_TARGET = 0.80
CANDID_ERROR_TARGET = 0.08
# The corpus's "update" is identified or monitoring: either way the cause is known.
STATUS = {
    "investigating": Status.INVESTIGATING,
    "update": Status.IDENTIFIED,
    "resolved": Status.RESOLVED,
    "postmortem": Status.RESOLVED,
}

Record = Mapping[str, object]


def fold(company: str) -> int:
    """The company's fold: stable across runs, machines and both files."""
    digest = hashlib.sha256(company.strip().lower().encode("utf-8")).hexdigest()
    return int(digest, 16) % FOLDS


def load(name: str) -> list[Record]:
    path = CORPUS_DIR / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@dataclass
class Tally:
    """Counts for one slice of records: per label (any finding, an error, records) and candid."""

    any_hit: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    error_hit: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    records: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    candid: int = 0
    candid_errors: int = 0
    candid_errors_by_rule: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        for label in LABELS:
            self.any_hit[label] += other.any_hit[label]
            self.error_hit[label] += other.error_hit[label]
            self.records[label] += other.records[label]
        self.candid += other.candid
        self.candid_errors += other.candid_errors
        self.candid_errors_by_rule.update(other.candid_errors_by_rule)

    def misses(self) -> list[str]:
        """Which targets this slice misses, in words."""
        missed = []
        for label in LABELS:
            n = self.records[label]
            if n and self.any_hit[label] / n < ANY_TARGET:
                missed.append(f"{label} any {self.any_hit[label]}/{n}")
            if n and self.error_hit[label] / n < ERROR_TARGET:
                missed.append(f"{label} error {self.error_hit[label]}/{n}")
        if self.candid and self.candid_errors / self.candid > CANDID_ERROR_TARGET:
            missed.append(f"candid errors {self.candid_errors}/{self.candid}")
        return missed


def evaluate(records: Iterable[Record], *, verbose: bool = False) -> Tally:
    """Run the checks over ``records`` and count. ``verbose`` prints misses of development folds."""
    tally = Tally()
    for record in records:
        labels = set(record["labels"])  # type: ignore[call-overload]
        status = STATUS[str(record["status"])]
        findings = check(str(record["text"]), status=status)
        any_codes = {f.code for f in findings}
        error_codes = {f.code for f in findings if f.is_error}
        show = verbose and fold(str(record["company"])) in DEVELOPMENT_FOLDS
        for label, wanted in LABELS.items():
            if label not in labels:
                continue
            if label == "no_next_update" and status is Status.RESOLVED:
                continue  # only a non-final update owes a next one
            tally.records[label] += 1
            tally.any_hit[label] += bool(any_codes & wanted)
            tally.error_hit[label] += bool(error_codes & wanted)
            if show and not error_codes & wanted:
                kind = "warned only" if any_codes & wanted else "missed"
                print(f"  {kind} {label}: {record['id']}")
        if "candid" in labels:
            tally.candid += 1
            erred = bool(error_codes)
            tally.candid_errors += erred
            tally.candid_errors_by_rule.update(error_codes)
            if show and erred:
                errors = [f"{f.code} {f.excerpt[:50]!r}" for f in findings if f.is_error]
                print(f"  candid with error: {record['id']}: {'; '.join(errors)}")
    return tally


def share(k: int, n: int) -> str:
    return f"{k / n:6.1%} {k:>3}/{n:<3}" if n else f"{'-':>6} {'':>7}"


def table(title: str, tally: Tally) -> None:
    print(f"{title}")
    print(f"  {'label':<21}{'any finding':>16}{'an error':>16}")
    for label in LABELS:
        n = tally.records[label]
        found, erred = share(tally.any_hit[label], n), share(tally.error_hit[label], n)
        print(f"  {label:<21}{found:>16}{erred:>16}")
    print(f"  {'candid with an error':<21}{share(tally.candid_errors, tally.candid):>16}")
    if tally.candid_errors_by_rule:
        by_rule = ", ".join(
            f"{code} {k}/{tally.candid}" for code, k in sorted(tally.candid_errors_by_rule.items())
        )
        print(f"    of which, by rule: {by_rule}")


@dataclass
class Report:
    """The figures of one run: held-out and whole corpus, per file and both together."""

    held_out: dict[str, Tally]
    whole: dict[str, Tally]
    per_fold: dict[str, dict[int, Tally]]

    def misses(self) -> list[str]:
        found = []
        for name, tally in [*self.held_out.items(), *self.whole.items()]:
            found.extend(f"{name}: {miss}" for miss in tally.misses())
        return found


def run(*, verbose: bool = False, quiet: bool = False) -> Report:
    """Evaluate both files; print the tables unless ``quiet``."""
    held_out: dict[str, Tally] = {}
    whole: dict[str, Tally] = {}
    per_fold: dict[str, dict[int, Tally]] = {}
    for name in FILES:
        records = load(name)
        folds = {k: evaluate((r for r in records if fold(str(r["company"])) == k),
                             verbose=verbose) for k in range(FOLDS)}  # fmt: skip
        per_fold[name] = folds
        held_out[name] = Tally()
        whole[name] = Tally()
        for k, tally in folds.items():
            whole[name].add(tally)
            if k in HELD_OUT_FOLDS:
                held_out[name].add(tally)
    report = Report(held_out=held_out, whole=whole, per_fold=per_fold)
    if quiet:
        return report
    targets = (
        f"targets: any finding >= {ANY_TARGET:.0%}, an error >= {ERROR_TARGET:.0%} "
        f"for every label; candid with an error <= {CANDID_ERROR_TARGET:.0%}"
    )
    print(targets)
    print(f"folds: sha256(company) mod {FOLDS}; development {sorted(DEVELOPMENT_FOLDS)}, "
          f"held out {sorted(HELD_OUT_FOLDS)}\n")  # fmt: skip
    for name in FILES:
        companies = len({str(r["company"]) for r in load(name)})
        print(f"== {name} ({companies} companies) ==")
        table("held-out companies (folds " + ", ".join(map(str, sorted(HELD_OUT_FOLDS))) + ")",
              held_out[name])  # fmt: skip
        for k in sorted(HELD_OUT_FOLDS):
            tally = per_fold[name][k]
            print(f"    fold {k}: {sum(tally.records.values())} labelled, "
                  f"misses: {', '.join(tally.misses()) or 'none'}")  # fmt: skip
        table("whole corpus", whole[name])
        print()
    return report


def development() -> int:
    """Evaluate the development folds only (held-out records are dropped before any check)."""
    for name in FILES:
        records = [r for r in load(name) if fold(str(r["company"])) in DEVELOPMENT_FOLDS]
        print(f"== {name}: development folds {sorted(DEVELOPMENT_FOLDS)} ==")
        tally = evaluate(records, verbose=True)
        table("development companies", tally)
        print()
    return 0


def main() -> int:
    if not all((CORPUS_DIR / name).is_file() for name in FILES):
        print(f"skipped: the corpus is not here ({', '.join(FILES)} under shared/corpus)")
        return 0
    if "--development" in sys.argv:
        return development()
    report = run(verbose="--verbose" in sys.argv)
    missed = report.misses()
    print("targets met" if not missed else "targets NOT met: " + "; ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
