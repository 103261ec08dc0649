"""``make demo``: logboot at work on the profiles in ``configs/``.

1. Every profile in ``configs/`` is validated, as ``logboot check`` would.
2. A small multi-threaded app logs through ``configs/demo.yaml`` (JSON lines, text
   lines and errors on stderr, behind one bounded queue).
3. Worker processes started with spawn log through ``configs/multiprocess.yaml``.
4. Every output file is read back: each record must be there exactly once, whole.

Run it with ``python -m tools.demo [--threads N] [--records N] [--processes N]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import logboot
from logboot.profile.schema import FileSinkSpec

CONFIGS = Path("configs")


def _attach_and_log(handle: logboot.ProcessHandle, worker: int, count: int) -> None:
    logboot.attach(handle)
    log = logging.getLogger(f"demo.worker{worker}")
    for seq in range(count):
        log.info("worker %d handled job %d", worker, seq, extra={"worker": worker, "seq": seq})


def check_profiles(folder: Path) -> bool:
    print(f"1. Validating the profiles in {folder}/")
    ok = True
    for path in sorted(folder.glob("*.yaml")):
        result = logboot.check_profile(path)
        verdict = "ok" if result.ok else f"{len(result.problems)} problem(s)"
        warnings = f", {len(result.warnings)} warning(s)" if result.warnings else ""
        print(f"   {path.name:<22} {verdict}{warnings}")
        for problem in result.problems:
            print(f"      {problem}")
        ok = ok and result.ok
    return ok


def run_threads(log_dir: Path, threads: int, records: int) -> dict[str, Any]:
    print(f"\n2. {threads} threads x {records:,} records through {CONFIGS / 'demo.yaml'}")
    os.environ["LOG_DIR"] = str(log_dir)
    runtime = logboot.setup_logging(CONFIGS / "demo.yaml")
    barrier = threading.Barrier(threads)

    def work(index: int) -> None:
        log = logging.getLogger(f"demo.thread{index}")
        barrier.wait()
        for seq in range(records):
            log.info("user %s did %s in %d ms", f"u{index}", "checkout", seq, extra={"seq": seq})
        try:
            raise RuntimeError(f"thread {index} finished with a deliberate error")
        except RuntimeError:
            log.warning("a multi-line traceback stays one record", exc_info=True)

    started = time.perf_counter()
    workers = [threading.Thread(target=work, args=(i,), name=f"worker-{i}") for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    logging.getLogger("demo").error("errors also reach the console sink on stderr")
    produced = time.perf_counter() - started
    report = runtime.stop()
    on_disk = time.perf_counter() - started
    stats = runtime.stats()
    expected = threads * (records + 1) + 1
    jsonl = _verify_jsonl(log_dir / "app.jsonl", expected, key="thread_name")
    text_lines = _verify_text(log_dir / "demo.log", expected)
    rate = expected / on_disk
    print(f"   logged in {produced:.2f} s, all on disk after {on_disk:.2f} s: {rate:,.0f} records/s")
    files = len(_rotated(log_dir / "app.jsonl"))
    print(
        f"   app.jsonl (+ rolled copies, {files} file(s)): {jsonl:,} whole JSON records; "
        f"demo.log: {text_lines:,} records (tracebacks indented)"
    )
    queue = stats["queues"]["main"]
    print(
        f"   queue main: enqueued {queue['enqueued']:,}, handled {queue['handled']:,}, "
        f"dropped {queue['dropped']}, peak depth {queue['peak']:,} of {queue['max_size']:,}"
    )
    print(f"   shutdown: clean={report.clean} in {report.duration * 1000:.1f} ms")
    return {"records": expected, "seconds": on_disk}


def run_processes(log_dir: Path, processes: int, records: int) -> dict[str, Any]:
    profile = CONFIGS / "multiprocess.yaml"
    print(f"\n3. {processes} spawn worker processes x {records:,} records through {profile}")
    os.environ["LOG_DIR"] = str(log_dir)
    runtime = logboot.setup_logging(profile)
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    workers = [
        context.Process(
            target=_attach_and_log, args=(runtime.process_handle(), i, records), name=f"worker-{i}"
        )
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    report = runtime.stop()
    elapsed = time.perf_counter() - started
    expected = processes * records
    for sink in runtime.profile.sinks.values():
        path = Path(sink.path) if isinstance(sink, FileSinkSpec) else None
        if path is not None and path.suffix == ".jsonl":
            whole = _verify_jsonl(path, expected, key="process", only=lambda r: "seq" in r)
            print(f"   {path.name}: {whole:,} whole records, each (pid, seq) once")
    queue = report.queues[next(iter(report.queues))]
    print(
        f"   {expected / elapsed:,.0f} records/s including process start-up; "
        f"children attached {queue.get('children_attached')}, detached {queue.get('children_detached')}, "
        f"dropped {queue['dropped']}"
    )
    return {"records": expected, "seconds": elapsed}


def _rotated(path: Path) -> list[Path]:
    """The file and its rolled-over copies, oldest first."""
    rolled = sorted(path.parent.glob(f"{path.name}.*"), key=lambda p: -int(p.suffix[1:]))
    return [*rolled, path]


def _verify_jsonl(path: Path, expected: int, key: str, only: Any = None) -> int:
    records = [
        json.loads(line) for part in _rotated(path) for line in part.read_text(encoding="utf-8").splitlines()
    ]
    if only is not None:
        records = [r for r in records if only(r)]
    seen = {(r.get(key), r.get("seq"), r.get("exc_type")) for r in records}
    if len(records) != expected or len(seen) != expected:
        raise SystemExit(
            f"demo: {path} holds {len(records)} records ({len(seen)} distinct), expected {expected}"
        )
    return len(records)


def _verify_text(path: Path, expected: int) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    records = [line for line in lines if not line.startswith(" ")]
    if len(records) != expected:
        raise SystemExit(f"demo: {path} holds {len(records)} records, expected {expected}")
    return len(records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--records", type=int, default=10_000, help="records per thread")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--process-records", type=int, default=10_000, help="records per process")
    parser.add_argument("--keep", action="store_true", help="keep the log files (printed at the end)")
    args = parser.parse_args(argv)
    if not CONFIGS.is_dir():
        print("demo: run it from the repository root (it reads configs/)", file=sys.stderr)
        return 2
    print(f"logboot {logboot.__version__} demo on Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)\n")
    if not check_profiles(CONFIGS):
        return 1
    folder = Path(tempfile.mkdtemp(prefix="logboot-demo-"))
    run_threads(folder / "threads", args.threads, args.records)
    if (CONFIGS / "multiprocess.yaml").exists():
        run_processes(folder / "processes", args.processes, args.process_records)
    print("\nEvery record arrived exactly once and whole.")
    if args.keep:
        print(f"Log files: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
