"""Two trees' cold starts, interleaved: ``python -m benchmarks.cold_start_pair BEFORE AFTER``.

Each run is a fresh interpreter in the tree's root (so it imports that tree's ``logboot``)
doing ``import logboot; logboot.setup_logging(PROFILE).stop()`` from the profile cache
(``--profile``, default ``configs/prod.yaml``); the two trees alternate, so a slow moment of
a shared machine lands on both. Each tree's modules are compiled first (the environment may
set PYTHONDONTWRITEBYTECODE, and a tree without bytecode would pay for compiling). Prints
the median and minimum wall time, and how many modules the start loaded.
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import time

PROGRAM = "import logboot; logboot.setup_logging({profile!r}).stop()"
COUNT = "; import sys; print(sum(m.startswith('logboot') for m in sys.modules), len(sys.modules))"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs=2, help="two repository roots (a worktree each)")
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--profile", default="configs/prod.yaml", help="relative to each tree's root")
    args = parser.parse_args(argv)
    program = PROGRAM.format(profile=args.profile)
    times: dict[str, list[float]] = {tree: [] for tree in args.trees}
    modules: dict[str, str] = {}
    for tree in args.trees:  # the bytecode (PYTHONDONTWRITEBYTECODE may be set) and the profile cache first
        compileall.compile_dir(f"{tree}/logboot", quiet=1)
        for _ in range(2):
            subprocess.run([sys.executable, "-c", program], cwd=tree, check=True, capture_output=True)
        counted = subprocess.run(
            [sys.executable, "-c", program + COUNT], cwd=tree, check=True, capture_output=True, text=True
        )
        modules[tree] = counted.stdout.strip()
    for _ in range(args.pairs):
        for tree in args.trees:
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", program], cwd=tree, check=True, capture_output=True)
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
