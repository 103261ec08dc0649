"""Live reload in real processes: eight logging threads through several reloads, a broken edit,
a removed file, SIGHUP sent from outside, and children attached to a process queue."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import IO, Any

import pytest
from conftest import REPO, file_profile, wait_until

import logboot

from . import children

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]

# The process under test. It starts the profile named by argv[1], then obeys one command a
# line on stdin and answers one line on stdout:
#   threads N M     start N threads, each logging "<thread> <seq>" until `finish` (at least M)
#   log PHASE K     log "PHASE <i>" for i < K from the main thread
#   wait KEY N      wait until stats()["reload"][KEY] >= N; "ok", else the stats (after 60 s)
#   finish          end the threads, stop the runtime, answer with what happened, and exit
PROGRAM = textwrap.dedent(
    """
    import json, logging, signal, sys, threading, time
    import logboot

    before = signal.getsignal(signal.SIGHUP)  # SIG_DFL, or SIG_IGN under nohup
    runtime = logboot.setup_logging(sys.argv[1])
    log = logging.getLogger("app")
    done = threading.Event()
    threads, counts = [], {}

    def produce(number, at_least):
        seq = 0
        while seq < at_least or not done.is_set():
            log.info("%d %d", number, seq)
            seq += 1
        counts[number] = seq

    def wait(key, count):
        deadline = time.monotonic() + 60
        pause = threading.Event()
        while runtime.stats()["reload"][key] < count:
            if time.monotonic() > deadline:
                return json.dumps(runtime.stats()["reload"])
            pause.wait(0.005)
        return "ok"

    for line in sys.stdin:
        command, *args = line.split()
        if command == "threads":
            for number in range(int(args[0])):
                thread = threading.Thread(target=produce, args=(number, int(args[1])))
                thread.start()
                threads.append(thread)
            answer = "started"
        elif command == "log":
            for i in range(int(args[1])):
                log.info("%s %d", args[0], i)
            answer = "logged"
        elif command == "wait":
            answer = wait(args[0], int(args[1]))
        elif command == "finish":
            done.set()
            for thread in threads:
                thread.join()
            report = runtime.stop()
            answer = json.dumps({
                "counts": counts,
                "reload": runtime.stats()["reload"],
                "report": {"clean": report.clean, "handled": report.handled, "dropped": report.dropped},
                "handlers_back": signal.getsignal(signal.SIGHUP) == before,
                "threads": sorted(t.name for t in threading.enumerate()),
            })
        print(answer, flush=True)
        if command == "finish":
            break
    """
)


def profile_text(log: Path, *, reload: str, batch_size: int = 1024, queue: str = "{max_size: 1000}") -> str:
    """Bare messages into one file through one bounded (block) queue."""
    return file_profile(log, level="INFO", queue=queue, batch_size=batch_size, extra=f"reload: {reload}\n")


def replace_file(path: Path, text: str) -> None:
    """Save ``path`` whole, as an editor that writes a new file and renames it over the old."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def lines_of(path: Path) -> list[str]:
    if not path.exists():
        return []
    data = path.read_text(encoding="utf-8")
    assert data == "" or data.endswith("\n"), f"{path} ends in a partial line"
    return data.split("\n")[:-1]


class Child:
    """The process under test, driven line by line; its stderr goes to a file."""

    def __init__(self, folder: Path, profile: Path) -> None:
        (folder / "child.py").write_text(PROGRAM, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOGBOOT_")}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
        env["LOGBOOT_CACHE_DIR"] = str(folder / "cache")
        self.stderr_path = folder / "stderr.txt"
        self._stderr: IO[str] = self.stderr_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, str(folder / "child.py"), str(profile)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            cwd=folder,
            env=env,
        )

    def ask(self, command: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        assert answer, f"the child ended: {self.stderr()}"
        return answer

    def wait(self, key: str, count: int) -> None:
        answer = self.ask(f"wait {key} {count}")
        assert answer == "ok", f"{key} never reached {count}: {answer}\n{self.stderr()}"

    def finish(self) -> dict[str, Any]:
        outcome: dict[str, Any] = json.loads(self.ask("finish"))
        assert self.process.wait(30) == 0, self.stderr()
        return outcome

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        for pipe in (self.process.stdin, self.process.stdout, self._stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def child_of(tmp_path: Path) -> Iterator[Any]:
    started: list[Child] = []

    def start(profile: Path) -> Child:
        child = Child(tmp_path, profile)
        started.append(child)
        return child

    yield start
    for child in started:
        child.close()


def check_thread_records(files: list[Path], counts: dict[str, int]) -> None:
    """Every "<thread> <seq>" record each thread logged is in exactly one file, once; in each
    file, each thread's records are in the order it logged them."""
    seen: Counter[tuple[int, int]] = Counter()
    for path in files:
        last: dict[int, int] = {}
        for line in lines_of(path):
            thread, seq = map(int, line.split())
            assert seq > last.get(thread, -1), f"{path.name}: thread {thread} out of order at {seq}"
            last[thread] = seq
            seen[(thread, seq)] += 1
    expected = Counter({(int(t), n): 1 for t, count in counts.items() for n in range(count)})
    duplicated = [key for key, times in seen.items() if times > 1]
    assert duplicated == [], f"written twice: {duplicated[:10]}"
    assert seen == expected, f"missing: {sorted(set(expected) - set(seen))[:10]}"


def test_eight_threads_log_through_six_reloads_and_every_record_is_written_once(
    tmp_path: Path, child_of: Any
) -> None:
    """Eight threads log while the profile is rewritten six times (the file changes, or stays
    and the listener changes); every record is in one of the files exactly once, in order."""
    profile, files = tmp_path / "profile.yaml", [tmp_path / "a.log", tmp_path / "b.log"]
    watch = "{watch: true, interval: 50ms}"
    replace_file(profile, profile_text(files[0], reload=watch))
    child = child_of(profile)
    assert child.ask("threads 8 3000") == "started"
    for n in range(1, 7):
        # Odd: the other file. Even: the same file, another listener batch size and queue size.
        log = files[(n + 1) // 2 % 2]
        replace_file(
            profile, profile_text(log, reload=watch, batch_size=64 * n, queue=f"{{max_size: {500 * n}}}")
        )
        child.wait("reloads", n)
    outcome = child.finish()
    assert len(outcome["counts"]) == 8 and all(count >= 3000 for count in outcome["counts"].values())
    check_thread_records(files, outcome["counts"])
    reload = outcome["reload"]
    assert (reload["reloads"], reload["failed"], reload["retired"]["dropped"]) == (6, 0, 0)
    assert outcome["report"]["clean"] and outcome["report"]["dropped"] == 0
    total = sum(outcome["counts"].values())
    assert reload["retired"]["handled"] + outcome["report"]["handled"] == total
    assert "logboot-reload" not in outcome["threads"]
    assert child.stderr() == ""


def test_a_broken_edit_and_a_removed_file_leave_the_process_logging(tmp_path: Path, child_of: Any) -> None:
    """In a running process a broken edit and a removed file are each reported once, with their
    location; the old topology keeps writing throughout; the fixed file is swapped in."""
    profile, old_log, new_log = tmp_path / "profile.yaml", tmp_path / "old.log", tmp_path / "new.log"
    watch = "{watch: true, interval: 50ms}"
    replace_file(profile, profile_text(old_log, reload=watch))
    child = child_of(profile)
    child.wait("attempts", 1)
    child.ask("log before 10")
    broken = profile_text(new_log, reload=watch, queue="{max_size: lots}")
    replace_file(profile, broken)
    child.wait("failed", 1)
    child.ask("log broken 10")
    replace_file(profile, broken + "# saved again\n")
    child.wait("failed", 2)
    profile.unlink()
    child.wait("failed", 3)
    child.ask("log missing 10")
    replace_file(profile, profile_text(new_log, reload=watch))
    child.wait("reloads", 1)
    child.ask("log after 10")
    outcome = child.finish()
    assert lines_of(old_log) == [
        f"{phase} {i}" for phase in ("before", "broken", "missing") for i in range(10)
    ]
    assert lines_of(new_log) == [f"after {i}" for i in range(10)]
    assert (outcome["reload"]["reloads"], outcome["reload"]["failed"]) == (1, 3)
    stderr = child.stderr()
    blocks = stderr.split("--- logboot: reload of ")[1:]
    assert len(blocks) == 2, stderr
    assert f"{profile}:7:20: queues.main.max_size: expected an integer, got 'lots'\n" in blocks[0]
    assert f"{profile}:1:1: no such profile (the file was removed or renamed)\n" in blocks[1]
    assert all("the running configuration stays" in block for block in blocks)


def test_sighup_from_another_process_reloads_under_load(tmp_path: Path, child_of: Any) -> None:
    """SIGHUP sent from outside reloads a profile without watch while four threads log; the
    process does not die of it, every record is written once, and the default is back at stop."""
    profile, files = tmp_path / "profile.yaml", [tmp_path / "a.log", tmp_path / "b.log"]
    replace_file(profile, profile_text(files[0], reload="{signal: SIGHUP}"))
    child = child_of(profile)
    assert child.ask("threads 4 2000") == "started"
    for n in range(1, 4):
        replace_file(profile, profile_text(files[n % 2], reload="{signal: SIGHUP}"))
        child.process.send_signal(signal.SIGHUP)
        child.wait("reloads", n)
    child.process.send_signal(signal.SIGHUP)  # unchanged: a signal swaps anyway (logrotate's reopen)
    child.wait("reloads", 4)
    outcome = child.finish()
    check_thread_records(files, outcome["counts"])
    assert outcome["reload"]["attempts"] == 4 and outcome["reload"]["failed"] == 0
    assert outcome["handlers_back"] is True
    assert outcome["report"]["dropped"] == 0
    assert child.stderr() == ""


def process_profile(folder: Path, log: Path) -> str:
    return textwrap.dedent(
        f"""\
        version: 1
        formatters:
          json: {{type: json}}
        sinks:
          out: {{type: file, path: "{log}", formatter: json}}
        queues:
          main: {{kind: process}}
        listeners:
          main: {{queue: main, sinks: [out]}}
        root: {{level: INFO}}
        reload: {{watch: true, interval: 50ms}}
        """
    )


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_an_attached_child_keeps_logging_into_the_reloaded_parent(tmp_path: Path, method: str) -> None:
    """A pool worker attached before two reloads of its parent keeps its connection: what it logs
    after each reload reaches the parent's new topology, every record once."""
    profile = tmp_path / "profile.yaml"
    logs = [tmp_path / f"{n}.jsonl" for n in range(3)]
    replace_file(profile, process_profile(tmp_path, logs[0]))
    runtime = logboot.setup_logging(profile)
    context = multiprocessing.get_context(method)
    initializer = logboot.attach if method == "spawn" else None
    initargs = (runtime.process_handle(),) if method == "spawn" else ()
    with ProcessPoolExecutor(1, mp_context=context, initializer=initializer, initargs=initargs) as pool:
        worker = pool.submit(children.pool_task, (0, 100)).result(60)
        for n in (1, 2):
            replace_file(profile, process_profile(tmp_path, logs[n]))
            wait_until(lambda n=n: runtime.stats()["reload"]["reloads"] >= n, timeout=15)
            logging.getLogger("app.parent").info(
                "parent after reload %d", n, extra={"seq": n, "tag": "parent"}
            )
            assert pool.submit(children.pool_task, (100 * n, 100)).result(60) == worker
    report = runtime.stop()
    assert report.dropped == 0
    records = [json.loads(line) for log in logs for line in lines_of(log)]
    pool_seqs = Counter(r["seq"] for r in records if r.get("tag") == "pool")
    assert pool_seqs == Counter(range(300))
    assert sorted(r["seq"] for r in records if r.get("tag") == "parent") == [1, 2]
    first = [json.loads(line)["seq"] for line in lines_of(logs[0])]
    assert first == list(range(100))  # what came before the first reload stayed in the first file


FORKING = textwrap.dedent(
    """
    import json, logging, os, signal, sys
    import logboot

    runtime = logboot.setup_logging(sys.argv[1])
    pid = os.fork()
    if pid == 0:  # the child: no reloader; the reload signal does what it did before logboot
        logging.getLogger("app").info("child %s", json.dumps(runtime.stats()["reload"]["active"]))
        runtime.flush()
        os.kill(os.getpid(), signal.SIGUSR1)
        os._exit(3)  # not reached: SIGUSR1's default action ends the child
    _, status = os.waitpid(pid, 0)
    logging.getLogger("app").info("parent %s", json.dumps(runtime.stats()["reload"]["active"]))
    runtime.stop()
    print(json.dumps([os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGUSR1,
                      signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL]))
    """
)


def test_a_forked_child_does_not_reload_and_hands_the_signal_on(tmp_path: Path) -> None:
    """A forked child has no reloader: the reload signal takes its default action there; the
    parent's reloader runs on, and both processes' records are written."""
    profile, log = tmp_path / "profile.yaml", tmp_path / "app.log"
    replace_file(profile, profile_text(log, reload="{watch: true, interval: 50ms, signal: SIGUSR1}"))
    (tmp_path / "forking.py").write_text(FORKING, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGBOOT_")}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [sys.executable, str(tmp_path / "forking.py"), str(profile)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, True]
    assert sorted(lines_of(log)) == ["child false", "parent true"]
