"""How long ``import candor`` takes, beside ``import httpx`` as the anchor.

candor promises a light import: the facade, renderer, store and adapters load
when first used. Each figure is the median of fresh interpreters, so module
caches in this process do not flatter either side.

    python benchmarks/import_time.py [runs]
"""

from __future__ import annotations

import statistics
import subprocess
import sys


def import_seconds(module: str, runs: int) -> float:
    code = (
        "import time; start = time.perf_counter(); "
        f"import {module}; print(time.perf_counter() - start)"
    )
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(runs)
    ]  # fmt: skip
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    ours = import_seconds("candor", runs)
    anchor = import_seconds("httpx", runs)
    print(f"import candor: {ours * 1000:7.1f} ms (median of {runs})")
    print(f"import httpx:  {anchor * 1000:7.1f} ms (anchor)")
    print(f"ratio:         {ours / anchor:7.2f}")


if __name__ == "__main__":
    main()
