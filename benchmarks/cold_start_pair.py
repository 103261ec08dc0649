"""Two trees' cold starts, interleaved: ``python -m benchmarks.cold_start_pair BEFORE AFTER``.

Each run is a fresh interpreter in the tree's root (so it imports that tree's ``logboot``)
doing ``import logboot; logboot.setup_logging('configs/prod.yaml').stop()`` from the profile
cache; the two trees alternate, so a slow moment of a shared machine lands on both. Prints
the median and minimum wall time, and how many modules the start loaded.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

PROGRAM = "import logboot; logboot.setup_logging('configs/prod.yaml').stop()"
COUNT = "; import sys; print(sum(m.startswith('logboot') for m in sys.modules), len(sys.modules))"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs=2, help="two repository roots (a worktree each)")
    parser.add_argument("--pairs", type=int, default=40)
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {tree: [] for tree in args.trees}
    modules: dict[str, str] = {}
    for tree in args.trees:  # fill the profile cache and the bytecode first
        for _ in range(2):
            subprocess.run([sys.executable, "-c", PROGRAM], cwd=tree, check=True, capture_output=True)
        counted = subprocess.run(
            [sys.executable, "-c", PROGRAM + COUNT], cwd=tree, check=True, capture_output=True, text=True
        )
        modules[tree] = counted.stdout.strip()
    for _ in range(args.pairs):
        for tree in args.trees:
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", PROGRAM], cwd=tree, check=True, capture_output=True)
            times[tree].append((time.perf_counter() - started) * 1000)
    for tree, values in times.items():
        logboot_modules, all_modules = modules[tree].split()
        print(
            f"{tree}: median {statistics.median(values):.1f} ms, min {min(values):.1f} ms; "
            f"modules loaded: {logboot_modules} of logboot, {all_modules} in all"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
