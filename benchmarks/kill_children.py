"""Children SIGKILLed mid-stream (issue 9): does the parent hang, and what reaches the file?

    python -m benchmarks.kill_children [--runs N] [--records R] [--deadline S] [--markdown FILE]

Each run is one fresh interpreter (``benchmarks.kill_worker``) in a process group of its
own: two spawn children log R records each, the parent SIGKILLs both once each has
logged R/4, logs 100 records of its own and stops its listener. A run still going at
the deadline has hung: it is ended, and whatever is left of its process group killed
(``end_run``); what reached its file is counted all the same, as what a hung service
leaves behind. Runs are interleaved: each round runs every variant once, in an order
rotated by one each round.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import report
from .kill_worker import CHILDREN, PARENT_RECORDS
from .variants import LOG_FILE
from .workload import ACTIONS, LINE, WHO

ROOT = Path(__file__).resolve().parent.parent
GRACE = 5.0  # seconds a run's process group gets to end by itself before SIGKILL
VARIANTS = {"logboot": "logboot", "mp-queue": None, "loguru": "loguru"}  # variant -> package it needs
STUCK_IN = {  # the last phase a run reached -> what it was doing when its deadline passed
    None: "start-up",
    "started": "children logging",
    "killed": "parent logging",
    "logged": "stop",
    "stopped": "exit",
}


@dataclass
class Outcome:
    """What one run did, and what its file holds."""

    hung_in: str | None = None  # what a hung run was doing at its deadline
    failed: str | None = None  # a run that ended with an error
    stop_seconds: float | None = None
    # The children's logging calls that had returned when they were killed; a record can
    # be sent just before its count is, so arrived may exceed it by one a child.
    logged: int = 0
    arrived: int = 0  # the children's records in the file
    parent_arrived: int = 0
    garbled: int = 0  # lines not whole, not of the workload's pattern, or with words not their seq's
    duplicated: int = 0


def run_once(variant: str, records: int, deadline: float, scratch: Path) -> Outcome:
    """One run in a fresh interpreter, killed (with its children) if it passes ``deadline``."""
    folder = Path(tempfile.mkdtemp(prefix=f"kill-{variant}-", dir=scratch))
    job = json.dumps({"variant": variant, "records": records, "folder": str(folder)})
    # TMPDIR: logboot's socket folder and anything else a killed run leaves go with ``folder``.
    env = {**os.environ, "TMPDIR": str(folder)}
    try:
        with (folder / "phases.jsonl").open("wb") as out, (folder / "stderr.txt").open("wb") as err:
            worker = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.kill_worker", job],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group, children included
            )
            ended = end_run(worker, deadline)
        phases = [json.loads(line) for line in (folder / "phases.jsonl").read_text().splitlines()]
        outcome = count_lines(folder / LOG_FILE, records)
        last = phases[-1] if phases else {}
        outcome.stop_seconds = last.get("stop_seconds")
        outcome.logged = sum(next((p["logged"] for p in phases if p["phase"] == "killed"), []))
        if not ended:
            outcome.hung_in = STUCK_IN[last.get("phase")]
        elif worker.returncode != 0:
            tail = (folder / "stderr.txt").read_text(errors="replace").strip().splitlines()[-1:]
            outcome.failed = f"exit {worker.returncode}: {(tail or ['no output'])[0][:200]}"
        return outcome
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def end_run(worker: subprocess.Popen[bytes], deadline: float) -> bool:
    """Wait up to ``deadline`` seconds for the worker; True if it ended by itself.

    A worker past its deadline gets SIGTERM, on which it kills its children and exits
    (``kill_worker.give_up``). The rest of its process group (the resource tracker,
    unlinking the semaphores a killed run leaked) then has ``GRACE`` seconds to end before
    it is SIGKILLed. The worker is reaped last: until then its pid, the group's id, cannot
    pass to another process.
    """
    ended = _wait_for(worker.pid, deadline)
    if not ended:
        worker.terminate()
        _wait_for(worker.pid, GRACE)
    until = time.monotonic() + GRACE
    while _group_lives(worker.pid) and time.monotonic() < until:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    return ended


def _wait_for(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` for the child ``pid`` to end, without reaping it."""
    pidfd = os.pidfd_open(pid)
    try:
        return bool(select.select([pidfd], [], [], timeout)[0])
    finally:
        os.close(pidfd)


def _group_lives(group: int) -> bool:
    """Whether a process of ``group`` has not ended yet (zombies do not count), from ``/proc``."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # ended while we looked
            continue
        state, _parent, pgrp = stat.rpartition(")")[2].split()[:3]  # the name may hold spaces
        if int(pgrp) == group and state != "Z":
            return True
    return False


def count_lines(path: Path, records: int) -> Outcome:
    """Count the file's whole, known lines by origin (children's range, the parent's)."""
    first_parent = CHILDREN * records
    seen = bytearray(first_parent + PARENT_RECORDS)
    outcome = Outcome()
    *lines, tail = path.read_bytes().split(b"\n") if path.exists() else [b""]
    outcome.garbled = 1 if tail else 0  # a last line without its newline is torn
    for raw in lines:
        found = LINE.fullmatch(raw.decode("utf-8", "replace"))
        seq = int(found["seq"]) if found else -1
        if (
            found is None
            or seq >= len(seen)
            or (found["who"], found["action"]) != (WHO[seq % len(WHO)], ACTIONS[seq % len(ACTIONS)])
        ):
            outcome.garbled += 1
        elif seen[seq]:
            outcome.duplicated += 1
        else:
            seen[seq] = 1
    outcome.arrived = sum(seen[:first_parent])
    outcome.parent_arrived = sum(seen[first_parent:])
    return outcome


# --- the table ------------------------------------------------------------------------------


def _median(found: list[float], digits: int) -> str:
    return f"{statistics.median(found):,.{digits}f}" if found else "n/a"


def _hangs(runs: list[Outcome]) -> str:
    where = [run.hung_in for run in runs if run.hung_in]
    if not where:
        return "0"
    counts = {place: where.count(place) for place in dict.fromkeys(where)}
    return f"{len(where)} ({', '.join(f'{n} in {place}' for place, n in counts.items())})"


def table(outcomes: dict[str, list[Outcome]]) -> str:
    head = [
        "variant",
        "runs",
        "hangs",
        "failed",
        "stop s (median)",
        f"parent's {PARENT_RECORDS} all arrived",
        "garbled lines",
        "duplicated",
        "child records logged (median)",
        "child records arrived (median)",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for variant, runs in outcomes.items():
        cells = [
            variant,
            str(len(runs)),
            _hangs(runs),
            str(sum(1 for run in runs if run.failed)),
            _median([run.stop_seconds for run in runs if run.stop_seconds is not None], 3),
            f"{sum(1 for run in runs if run.parent_arrived == PARENT_RECORDS)}/{len(runs)}",
            str(sum(run.garbled for run in runs)),
            str(sum(run.duplicated for run in runs)),
            _median([run.logged for run in runs], 0),
            _median([run.arrived for run in runs], 0),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --- the command ----------------------------------------------------------------------------


def available(variant: str) -> bool:
    package = VARIANTS[variant]
    return package is None or importlib.util.find_spec(package) is not None


def _versions(variants: list[str]) -> str:
    packages = [package for v in variants if (package := VARIANTS[v])]
    return ", ".join(f"{package} {importlib.metadata.version(package)}" for package in packages)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.kill_children", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--runs", type=int, default=18, help="runs of each variant (default 18)")
    parser.add_argument(
        "--records", type=int, default=20_000, help="records each child logs (default 20,000)"
    )
    parser.add_argument("--deadline", type=float, default=30.0, help="seconds before a run counts as hung")
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS), help="only this (repeatable)")
    parser.add_argument("--markdown", type=Path, help="also write the table to this Markdown file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    wanted = args.variant or list(VARIANTS)
    chosen = [v for v in wanted if available(v)]
    skipped = [
        f"Skipped: {v} ({VARIANTS[v]} is not installed: pip install {VARIANTS[v]})."
        for v in wanted
        if v not in chosen
    ]
    command = "python -m benchmarks.kill_children " + " ".join(sys.argv[1:] if argv is None else argv)
    header = "\n\n".join(
        [
            f"Command: `{command.strip()}`",
            f"Machine: {report.machine()}; {_versions(chosen)}",
            f"{CHILDREN} spawn children x {args.records:,} records, SIGKILLed once each has logged "
            f"{args.records // 4:,}; {args.runs} runs a variant, {args.deadline:g} s deadline a run.",
            *skipped,
        ]
    )
    print(header + "\n", flush=True)
    outcomes: dict[str, list[Outcome]] = {v: [] for v in chosen}
    with tempfile.TemporaryDirectory(prefix="logboot-kill-") as scratch:
        for round_ in range(args.runs):
            shift = round_ % len(chosen) if chosen else 0
            for variant in chosen[shift:] + chosen[:shift]:
                outcome = run_once(variant, args.records, args.deadline, Path(scratch))
                outcomes[variant].append(outcome)
                _progress(round_, args.runs, variant, outcome)
    text = table(outcomes)
    failures = [f"- {v}: {run.failed}" for v, runs in outcomes.items() for run in runs if run.failed]
    if failures:
        text += "\nFailed runs:\n\n" + "\n".join(failures) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(f"{header}\n\n{text}", encoding="utf-8")
    return 1 if failures else 0


def _progress(round_: int, runs: int, variant: str, outcome: Outcome) -> None:
    if outcome.failed:
        shown = f"FAILED: {outcome.failed}"
    elif outcome.hung_in:
        shown = f"HUNG in {outcome.hung_in}"
    else:
        shown = f"stopped in {outcome.stop_seconds:.3f} s"
    detail = (
        f"parent {outcome.parent_arrived}/{PARENT_RECORDS}, children {outcome.arrived:,} arrived "
        f"of {outcome.logged:,} logged, {outcome.garbled} garbled, {outcome.duplicated} duplicated"
    )
    print(f"[{round_ + 1}/{runs}] {variant}: {shown}; {detail}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
