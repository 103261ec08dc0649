"""Side-by-side benchmarks of logboot and the alternatives (``python -m benchmarks.run``).

Each variant runs in a fresh interpreter (``benchmarks.worker``); the runner interleaves
the repetitions, verifies every output file line by line (``benchmarks.workload``) and
prints medians, spreads and ratios (``benchmarks.report``).
"""
