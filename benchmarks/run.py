"""Run the benchmarks of issue 6 side by side and print medians, spreads and ratios.

    python -m benchmarks.run [--quick] [--records N] [--repeat K] [--only SCENARIO]
                             [--markdown FILE]

Every variant runs in a fresh interpreter; repetitions are interleaved (each round runs
every variant once, in a rotated order), so slow periods of a shared machine spread over
all variants instead of landing on one. Every output file is verified line by line:
a run whose records did not all arrive exactly once, whole, counts as failed.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import report
from .machine_load import LOAD_METRICS, CpuClock
from .processes import PROCESS_VARIANTS
from .variants import LOG_FILE, NEEDS, PLAIN_LAYOUT, message_size, start_before
from .workload import padding, verify

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Scenario:
    variants: tuple[str, ...]
    threads: int = 1
    processes: int = 0
    exact: bool = True  # every record must arrive (False: drops allowed, but counted)
    as_json: bool = False  # the lines are JSON objects
    scale: int = 1  # each run logs records x scale (the memory scenario: every thread logs `records`)
    paired: bool = False  # per call against the floor in the same process (worker.run_paired)


SCENARIOS: dict[str, Scenario] = {
    "one-thread": Scenario(
        (
            "null",
            "filehandler",
            "stdlib-queue",
            "loguru",
            "concurrent-log-handler",
            "picologging-filehandler",
            "picologging-queue",
            "logboot",
            "logboot-first-start",
        ),
    ),
    # The per-call cost of one thread against a floor timed in the same process, chunk by
    # chunk (benchmarks/worker.py: run_paired): the figure least moved by a drifting machine.
    # picologging runs in the one-thread scenarios only: two threads logging through it hang.
    "paired": Scenario(
        ("filehandler", "stdlib-queue", "picologging-filehandler", "picologging-queue", "logboot"),
        paired=True,
    ),
    # JSON lines (time, level, logger, thread name, message; `extra` fields if any): what
    # the prod template writes. The stdlib's side uses python-json-logger.
    # `logboot-json-auto`: the same with `collect: auto` (what the JSON fields do not read is
    # not collected).
    "json": Scenario(
        ("null", "filehandler-json", "stdlib-queue-json", "logboot-json", "logboot-json-auto"), as_json=True
    ),
    # The JSON call, paired with the floor in one process as above: the JSON target's figure
    # least moved by a drifting machine (shown beside the json scenario's, not instead).
    "json-paired": Scenario(("logboot-json",), as_json=True, paired=True),
    "burst": Scenario(("stdlib-queue-10k", "logboot", "logboot-drop"), exact=False),
    "threads": Scenario(
        ("filehandler", "stdlib-queue", "loguru", "concurrent-log-handler", "logboot"), threads=8
    ),
    "processes": Scenario(PROCESS_VARIANTS, processes=4),
    # 8 processes into one file: logboot against each process appending itself (issue 23).
    "processes-8": Scenario(("file-append", "logboot"), processes=8),
    # Memory under an 8-thread burst (issue 23): each thread logs `records` (1.6 million in
    # all by default) into an unbounded queue (the stdlib's, logboot's `max_size: 0`), and
    # logboot's default bounded queue (10,000, `block`) beside them; peak RSS and records/s.
    "memory": Scenario(("stdlib-queue", "logboot-unbounded", "logboot"), threads=8, scale=8),
    # Messages of 16 KiB and 1 KiB, one thread, until on disk, against FileHandler (issue 23).
    # The 16 KiB runs log a fifth of the records (200,000 would be 3.3 GB a run).
    "large": Scenario(("filehandler-16k", "logboot-16k", "filehandler-1k", "logboot-1k")),
    "cold-start": Scenario(("python", "import-logboot", "setup-stop", "setup-stop-cached")),
}

COLD_START = {
    "python": "import logging",
    "import-logboot": "import logboot",
    "setup-stop": "import logboot; logboot.setup_logging('configs/prod.yaml', cache=False).stop()",
    # The same start again, from the profile cache (validated by an unmeasured run first).
    "setup-stop-cached": "import logboot; logboot.setup_logging('configs/prod.yaml').stop()",
}
NO_CLI_CHECK = (
    "import json, sys, logboot; print(json.dumps(sorted(m for m in ('typer', 'rich') if m in sys.modules)))"
)


LARGE_SHARE = {"16k": 5}  # the large scenario's 16 KiB variants log records // 5


def records_of(scenario: str, variant: str, records: int) -> int:
    """The records one run of ``variant`` logs: ``records``, or a share of it for big messages,
    or a multiple (the scenario's ``scale``)."""
    if scenario != "large":
        return records * SCENARIOS[scenario].scale
    return max(1, records // LARGE_SHARE.get(variant.rsplit("-", 1)[-1], 1))


def run_variant(scenario: str, variant: str, records: int, scratch: Path) -> dict[str, Any]:
    """One run of one variant in a fresh interpreter, verified; a dict of figures."""
    spec = SCENARIOS[scenario]
    records = records_of(scenario, variant, records)
    folder = Path(tempfile.mkdtemp(prefix=f"{scenario}-{variant}-", dir=scratch))
    if scenario == "cold-start":
        return _cold_start(variant, folder)
    job = {
        "scenario": scenario,
        "variant": variant,
        "records": records,
        "folder": str(folder),
        "threads": spec.threads,
        "processes": spec.processes,
        "paired": spec.paired,
    }
    stderr_path = folder / "stderr.txt"
    env = cache_env(folder)
    try:
        start_before(variant, folder, env)
        with stderr_path.open("wb") as stderr:
            clock = CpuClock()
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.worker", json.dumps(job)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                timeout=max(600, records / 1000),
                check=False,
            )
            load = clock.load()
        errors = stderr_path.read_bytes()
        if done.returncode != 0:
            tail = errors.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            return {"ok": False, "problem": f"exit {done.returncode}: {tail[0][:200]}"}
        result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
        result.update(load, ok=True)
        result["tracebacks"] = errors.count(b"--- Logging error ---")
        if variant != "null":
            size = message_size(variant) if scenario == "large" else None
            _check(result, spec, records, folder, padding(size) if size else "", variant in PLAIN_LAYOUT)
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check(
    result: dict[str, Any], spec: Scenario, records: int, folder: Path, pad: str = "", plain: bool = False
) -> None:
    expected = records // max(spec.threads, spec.processes, 1) * max(spec.threads, spec.processes, 1)
    found = verify([folder / LOG_FILE], expected, spec.as_json, pad, plain)
    result["lines"] = found.lines
    counted = result.get("dropped")
    if not found.whole or (spec.exact and not found.exact):
        result.update(ok=False, problem=found.summary())
    elif counted is not None and counted != found.missing:
        result.update(ok=False, problem=f"{found.missing} records missing but {counted} counted as dropped")
    if counted is None:
        result["dropped"] = found.missing  # not counted by the library: measured here


def not_installed(variant: str, needs: dict[str, str] = NEEDS) -> str | None:
    """The package ``variant`` needs that is not installed here (its runs are skipped), or None."""
    package = needs.get(variant)
    if package is None or importlib.util.find_spec(package) is not None:
        return None
    return package


def cache_env(folder: Path) -> dict[str, str]:
    """The environment of a run: logboot's profile cache in the run's own folder."""
    return {**os.environ, "LOG_DIR": str(folder), "LOGBOOT_CACHE_DIR": str(folder / "profile-cache")}


def _cold_start(variant: str, folder: Path) -> dict[str, Any]:
    env = cache_env(folder)
    if variant == "setup-stop-cached":
        subprocess.run([sys.executable, "-c", COLD_START[variant]], cwd=ROOT, env=env, check=True)
    clock = CpuClock()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", COLD_START[variant]], cwd=ROOT, env=env, capture_output=True, check=False
    )
    elapsed = time.perf_counter() - started
    load = clock.load()
    shutil.rmtree(folder, ignore_errors=True)
    if done.returncode != 0:
        return {"ok": False, "problem": done.stderr.decode("utf-8", "replace").strip()[-200:]}
    return {"ok": True, "ms": elapsed * 1000, **load}


def compile_bytecode() -> None:
    """Write the bytecode of logboot and the benchmarks, as installing a package does.

    A run's interpreter would otherwise compile them from source on every start where
    ``PYTHONDONTWRITEBYTECODE`` is set, or in a fresh checkout: 15 to 20 ms more of
    ``import logboot`` here, which no installed service pays.
    """
    for package in ("logboot", "benchmarks"):
        compileall.compile_dir(ROOT / package, quiet=1)


def cli_modules_imported() -> list[str]:
    """The CLI-only modules (typer, rich) that ``import logboot`` pulls in; should be none."""
    done = subprocess.run([sys.executable, "-c", NO_CLI_CHECK], cwd=ROOT, capture_output=True, check=True)
    found: list[str] = json.loads(done.stdout)
    return found


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 records, 3 rounds (under 3 minutes)")
    parser.add_argument("--records", type=int, help="records per run (default 200,000; quick 20,000)")
    parser.add_argument("--repeat", type=int, help="rounds (default 5; quick 3)")
    parser.add_argument(
        "--only", action="append", choices=sorted(SCENARIOS), help="run only this scenario (repeatable)"
    )
    parser.add_argument("--variant", action="append", help="run only this variant (repeatable)")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this Markdown file")
    parser.add_argument("--json", type=Path, help="also write every sample to this JSON file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    records = args.records or (20_000 if args.quick else 200_000)
    repeat = args.repeat or (3 if args.quick else 5)
    chosen = args.only or list(SCENARIOS)
    wanted = set(args.variant or ())
    plan = {name: [v for v in SCENARIOS[name].variants if not wanted or v in wanted] for name in chosen}
    command = "python -m benchmarks.run " + " ".join(sys.argv[1:] if argv is None else argv)
    print(f"# {command}\n# {report.machine()}\n# {records:,} records a run, {repeat} rounds", flush=True)
    samples: report.Samples = {name: {v: [] for v in variants} for name, variants in plan.items()}
    missing = {v: p for variants in plan.values() for v in variants if (p := not_installed(v))}
    for name, variants in plan.items():
        for variant in variants:
            if variant in missing:
                samples[name][variant].append({"ok": False, "skipped": f"{missing[variant]} not installed"})
                print(f"# {name}/{variant}: not run, {missing[variant]} not installed", flush=True)
    runnable = {name: [v for v in variants if v not in missing] for name, variants in plan.items()}
    began = time.monotonic()
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="logboot-bench-") as scratch:
        for round_ in range(repeat):
            for name, variants in runnable.items():
                if not variants:
                    continue
                shift = round_ % len(variants)
                for variant in variants[shift:] + variants[:shift]:
                    result = run_variant(name, variant, records, Path(scratch))
                    samples[name][variant].append(result)
                    _progress(round_, repeat, name, variant, result)
    cli_modules = cli_modules_imported()
    text = _render(samples, plan, cli_modules, records)
    print(f"\n{text}\n# {time.monotonic() - began:.0f} s in all")
    if args.markdown:
        header = (
            f"Command: `{command}`\n\nMachine: {report.machine()}\n\n"
            f"{records:,} records a run, {repeat} rounds.\n\n"
        )
        args.markdown.write_text(header + text, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"records": records, "repeat": repeat, "samples": samples}, indent=1))
    failures = {
        (scenario, variant): sum(not s.get("ok") for s in runs)
        for scenario, variants in samples.items()
        for variant, runs in variants.items()
        if any(not s.get("ok") and not s.get("skipped") for s in runs)
    }
    for (scenario, variant), count in failures.items():
        print(f"# failed runs: {scenario}/{variant}: {count}")
    # An alternative that fails (the stdlib's bounded queue can die of queue.Full) is
    # reported in its table; only logboot failing, or importing the CLI, fails the run.
    ours_failed = any(variant.startswith("logboot") for _, variant in failures)
    return 1 if ours_failed or cli_modules else 0


def _render(samples: report.Samples, plan: dict[str, list[str]], cli_modules: list[str], records: int) -> str:
    parts = [report.table(samples, name, variants) for name, variants in plan.items() if variants]
    parts.append(report.targets_table(samples, records))
    parts.append(report.load_table(samples))
    verdict = "none (met)" if not cli_modules else f"{', '.join(cli_modules)} (NOT met)"
    parts.append(f"`import logboot` imports typer/rich: {verdict}\n")
    return "\n".join(parts)


def _progress(round_: int, repeat: int, scenario: str, variant: str, result: dict[str, Any]) -> None:
    if not result.get("ok"):
        shown = "FAILED: " + str(result.get("problem"))
    elif scenario == "cold-start":
        shown = f"{result['ms']:.0f} ms"
    elif scenario == "threads" or scenario.startswith("processes"):
        shown = f"{result['records_per_s']:,.0f} records/s"
    elif scenario == "memory":
        shown = f"{result['records_per_s']:,.0f} records/s, {result['peak_rss_mb']:.1f} MB"
        if result.get("queue_peak") is not None:
            shown += f", queue peak {result['queue_peak']:,}"
    elif SCENARIOS[scenario].paired:
        shown = (
            f"{result['per_call_us']:.2f} us/call against {result['floor_per_call_us']:.2f} in the same "
            f"process: {result['paired_ratio']:.2f}x"
        )
    elif scenario == "large":
        shown = (
            f"{result['disk_us_per_record']:.1f} us/record until on disk, {result['seconds']:.2f} s, "
            f"{result['peak_rss_mb']:.1f} MB"
        )
    else:
        shown = (
            f"{result['per_call_us']:.2f} us/call (CPU {result['cpu_per_call_us']:.2f}), "
            f"{result['seconds']:.2f} s, {result['peak_rss_mb']:.1f} MB"
        )
        if result.get("dropped"):
            shown += f", {result['dropped']} dropped"
    busy = [
        f"{title} {result[metric]:.0f}%"
        for metric, title in LOAD_METRICS.items()
        if result.get(metric, 0) >= 1
    ]
    if busy:
        shown += f" (machine: {', '.join(busy)})"
    print(f"[{round_ + 1}/{repeat}] {scenario}/{variant}: {shown}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
