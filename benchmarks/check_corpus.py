"""How well candor's checks agree with people, on real published incident updates.

Reads ``shared/corpus/incident_updates.jsonl`` beside the repository at run time
(85 updates from public status pages, labelled by hand; see its README) and
prints, per label, the share of records that get a finding of that kind (and,
as a measure of precision, the share of records *without* the label that get
one anyway), and the share of ``candid`` records that get any error, beside the
targets.

    python benchmarks/check_corpus.py [--verbose]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from candor.checks import check
from candor.model import Status

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "incident_updates.jsonl"

# Which finding codes answer which label; the targets are the issue's.
LABELS = {
    "minimizing": ({"minimizing"}, 0.90),
    "hedging": ({"hedging"}, 0.90),
    "boilerplate_apology": ({"rote-apology"}, 0.90),
    "vague_cause": ({"vague-cause", "no-cause"}, 0.90),
    "no_next_update": ({"no-next-update"}, 0.90),
}
# The corpus's "update" is identified or monitoring: either way the cause is known.
STATUS = {
    "investigating": Status.INVESTIGATING,
    "update": Status.IDENTIFIED,
    "resolved": Status.RESOLVED,
    "postmortem": Status.RESOLVED,
}


def evaluate(records: list[dict[str, object]], verbose: bool = False) -> dict[str, float]:
    hits: dict[str, list[bool]] = defaultdict(list)
    strays: dict[str, list[bool]] = defaultdict(list)  # flagged without the label
    candid_errors: list[bool] = []
    for record in records:
        labels = set(record["labels"])  # type: ignore[arg-type]
        status = STATUS[str(record["status"])]
        findings = check(str(record["text"]), status=status)
        codes = {f.code for f in findings}
        for label, (wanted, _) in LABELS.items():
            if label not in labels:
                strays[label].append(bool(codes & wanted))
                continue
            if label == "no_next_update" and status is Status.RESOLVED:
                continue  # the target counts non-final updates only
            hit = bool(codes & wanted)
            hits[label].append(hit)
            if verbose and not hit:
                print(f"  missed {label}: {record['id']}")
        if "candid" in labels:
            erred = any(f.is_error for f in findings)
            candid_errors.append(erred)
            if verbose and erred:
                errors = [f"{f.code} '{f.excerpt[:40]}'" for f in findings if f.is_error]
                print(f"  candid with error: {record['id']}: {'; '.join(errors)}")
    shares = {label: sum(v) / len(v) for label, v in hits.items()}
    shares["candid_with_error"] = sum(candid_errors) / len(candid_errors)
    counts = {label: len(v) for label, v in hits.items()}
    counts["candid_with_error"] = len(candid_errors)
    print(f"{'label':<22}{'records':>8}{'flagged':>10}{'target':>10}{'flagged without':>18}")
    for label, (_, target) in LABELS.items():
        stray = sum(strays[label]) / len(strays[label])
        print(
            f"{label:<22}{counts[label]:>8}{shares[label]:>10.1%}"
            f"{'>= ' + f'{target:.0%}':>10}{stray:>18.1%}"
        )
    print(
        f"{'candid with an error':<22}{counts['candid_with_error']:>8}"
        f"{shares['candid_with_error']:>10.1%}{'<= 10%':>10}"
    )
    return shares


def main() -> int:
    if not CORPUS.is_file():
        print(
            f"skipped: the corpus is not here ({CORPUS.name} under shared/corpus beside the repo)"
        )
        return 0
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
    shares = evaluate(records, verbose="--verbose" in sys.argv)
    met = all(shares[label] >= target for label, (_, target) in LABELS.items())
    met = met and shares["candid_with_error"] <= 0.10
    print("targets met" if met else "targets NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
