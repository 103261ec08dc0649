"""Sinks that fail: the application never sees the error, every failure is counted exactly,
the other sinks get every record, and a fallback sink gets what the failing one could not take."""

from __future__ import annotations

import json
import logging
import os
import pwd
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import logboot

from .harness import framed_reports, numbers, run_child, whole_lines, write_profile

pytestmark = pytest.mark.timeout(90)

COUNT = 3_000

# Logs COUNT numbered records, flushes, prints the sink counters as JSON, exits 0 without stop().
CHILD = """
import json, logging, sys, logboot
runtime = logboot.setup_logging(sys.argv[1])
exec(sys.argv[2] if len(sys.argv) > 2 else "")  # a fault injected by the test
for seq in range(COUNT):
    logging.getLogger("app").info("record %d", seq)
assert runtime.flush(30.0)
print(json.dumps(runtime.stats()["sinks"]))
""".replace("COUNT", str(COUNT))


def profile(folder: Path, sinks: str, used: str, *, custom: bool = False) -> Path:
    """A healthy file sink plus ``sinks`` (one flow mapping per line), behind one queue."""
    extra = "".join(f"  {line.strip()}\n" for line in sinks.splitlines() if line.strip())
    return write_profile(
        folder,
        "version: 1\n"
        f"allow_custom: {'true' if custom else 'false'}\n"
        "formatters:\n"
        '  bare: {type: text, format: "{message}"}\n'
        "sinks:\n"
        f'  healthy: {{type: file, path: "{folder / "healthy.log"}", formatter: bare}}\n'
        f"{extra}"
        "queues:\n"
        "  main: {max_size: 0}\n"
        "listeners:\n"
        f"  main: {{queue: main, sinks: [{used}]}}\n"
        "root: {level: INFO, queue: main}\n",
    )


def run(folder: Path, path: Path, fault: str = "") -> dict[str, dict[str, int]]:
    done = run_child(folder, CHILD, str(path), fault, env={"PYTHONPATH": str(folder)})
    assert done.returncode == 0, done.stderr
    stats: dict[str, dict[str, int]] = json.loads(done.stdout)
    stats["_stderr"] = done.stderr  # type: ignore[assignment]
    return stats


def test_disk_full_next_to_a_healthy_sink(tmp_path: Path) -> None:
    """A file sink on /dev/full fails every record (counted exactly, reported once on stderr);
    the healthy sink has every record and the application exits 0."""
    path = profile(tmp_path, "full: {type: file, path: /dev/full, formatter: bare}", "full, healthy")
    stats = run(tmp_path, path)
    assert numbers(whole_lines(tmp_path / "healthy.log")) == list(range(COUNT))
    assert (stats["full"]["records"], stats["full"]["errors"]) == (0, COUNT)
    assert (stats["healthy"]["records"], stats["healthy"]["errors"]) == (COUNT, 0)
    stderr = str(stats["_stderr"])
    assert framed_reports(stderr, "full") == 1
    assert "No space left on device" in stderr


def test_disk_full_with_a_fallback_sink(tmp_path: Path) -> None:
    """With `fallback: spare`, every record /dev/full refused is in the spare file."""
    sinks = (
        "full: {type: file, path: /dev/full, formatter: bare, fallback: spare}\n"
        f'  spare: {{type: file, path: "{tmp_path / "spare.log"}", formatter: bare}}'
    )
    stats = run(tmp_path, profile(tmp_path, sinks, "full, healthy"))
    assert numbers(whole_lines(tmp_path / "spare.log")) == list(range(COUNT))
    assert numbers(whole_lines(tmp_path / "healthy.log")) == list(range(COUNT))
    assert stats["full"]["errors"] == COUNT
    assert (stats["spare"]["records"], stats["spare"]["errors"]) == (COUNT, 0)
    assert "sent to fallback sink 'spare'" in str(stats["_stderr"])


def bad_sink(folder: Path, fallback: bool = False) -> str:
    return (
        f'bad: {{type: file, path: "{folder / "bad.log"}", formatter: bare'
        + (", fallback: spare}\n" if fallback else "}\n")
        + f'  spare: {{type: file, path: "{folder / "spare.log"}", formatter: bare}}'
    )


THIRDS = [seq for seq in range(COUNT) if seq % 3 == 2]
OTHERS = [seq for seq in range(COUNT) if seq % 3 != 2]


def test_raising_filter(tmp_path: Path) -> None:
    """A sink filter that raises on every third record: those are counted and go to the fallback;
    the sink writes the rest and the healthy sink writes all."""
    fault = (
        "import logging\n"
        "def bad(record):\n"
        "    if int(record.getMessage().split()[1]) % 3 == 2:\n"
        "        raise RuntimeError('filter bug')\n"
        "    return True\n"
        "runtime.topology.sinks['bad'].handler.addFilter(bad)\n"
    )
    stats = run(tmp_path, profile(tmp_path, bad_sink(tmp_path, fallback=True), "bad, healthy"), fault)
    assert numbers(whole_lines(tmp_path / "bad.log")) == OTHERS
    assert numbers(whole_lines(tmp_path / "spare.log")) == THIRDS
    assert numbers(whole_lines(tmp_path / "healthy.log")) == list(range(COUNT))
    assert (stats["bad"]["records"], stats["bad"]["errors"]) == (len(OTHERS), len(THIRDS))
    assert framed_reports(str(stats["_stderr"]), "bad") == 1


def test_raising_formatter(tmp_path: Path) -> None:
    """A formatter that raises on every third record: counted exactly, the rest written."""
    fault = (
        "import logging\n"
        "class Bad(logging.Formatter):\n"
        "    def format(self, record):\n"
        "        if int(record.getMessage().split()[1]) % 3 == 2:\n"
        "            raise ValueError('formatter bug')\n"
        "        return record.getMessage()\n"
        "runtime.topology.sinks['bad'].handler.setFormatter(Bad())\n"
    )
    stats = run(tmp_path, profile(tmp_path, bad_sink(tmp_path), "bad, healthy"), fault)
    assert numbers(whole_lines(tmp_path / "bad.log")) == OTHERS
    assert numbers(whole_lines(tmp_path / "healthy.log")) == list(range(COUNT))
    assert (stats["bad"]["records"], stats["bad"]["errors"]) == (len(OTHERS), len(THIRDS))


def test_custom_sink_whose_emit_raises_every_third_record(tmp_path: Path) -> None:
    """A custom sink raising on every third emit: the application never sees it, the count is exact,
    and the fallback gets exactly the failed records."""
    (tmp_path / "flaky.py").write_text(
        "import logging\n"
        "class EveryThird(logging.Handler):\n"
        "    def __init__(self, path):\n"
        "        super().__init__()\n"
        "        self.calls = 0\n"
        "        self.stream = open(path, 'a')\n"
        "    def emit(self, record):\n"
        "        self.calls += 1\n"
        "        if self.calls % 3 == 0:\n"
        "            raise OSError('every third record fails')\n"
        "        self.stream.write(self.format(record) + '\\n')\n"
        "    def flush(self):\n"
        "        self.stream.flush()\n"
        "def make(path):\n"
        "    return EveryThird(path)\n"
    )
    sinks = (
        f"flaky: {{type: custom, factory: 'flaky:make', options: {{path: \"{tmp_path / 'flaky.log'}\"}},"
        " formatter: bare, fallback: spare}\n"
        f'  spare: {{type: file, path: "{tmp_path / "spare.log"}", formatter: bare}}'
    )
    stats = run(tmp_path, profile(tmp_path, sinks, "flaky, healthy", custom=True))
    assert numbers(whole_lines(tmp_path / "flaky.log")) == OTHERS
    assert numbers(whole_lines(tmp_path / "spare.log")) == THIRDS
    assert numbers(whole_lines(tmp_path / "healthy.log")) == list(range(COUNT))
    assert (stats["flaky"]["records"], stats["flaky"]["errors"]) == (len(OTHERS), len(THIRDS))
    assert framed_reports(str(stats["_stderr"]), "flaky") == 1


def test_raising_filter_in_the_producer(tmp_path: Path) -> None:
    """A filter on the producer side that raises never reaches the logging call: the record is
    counted on the handler and reported once; every other record is written."""
    fault = (
        "import logging\n"
        "def bad(record):\n"
        "    if int(record.getMessage().split()[1]) % 3 == 2:\n"
        "        raise RuntimeError('producer filter bug')\n"
        "    return True\n"
        "handler = logging.getLogger().handlers[0]\n"
        "handler.addFilter(bad)\n"
        "import atexit\n"
        "atexit.register(lambda: print('handler errors', handler.errors))\n"
    )
    done = run_child(tmp_path, CHILD, str(profile(tmp_path, "", "healthy")), fault)
    assert done.returncode == 0, done.stderr
    assert numbers(whole_lines(tmp_path / "healthy.log")) == OTHERS
    assert done.stdout.splitlines()[-1] == f"handler errors {len(THIRDS)}"
    assert done.stderr.count("--- logboot: handler 'root->main' failed ---") == 1


def test_unopenable_file_fails_setup_and_keeps_the_old_runtime(tmp_path: Path) -> None:
    """A file sink that cannot be opened fails setup_logging with its path and reason, before
    anything is swapped in: the running runtime keeps writing."""
    good = profile(tmp_path, "", "healthy")
    bad = write_profile(
        tmp_path,
        good.read_text().replace(str(tmp_path / "healthy.log"), "/dev/null/app.log"),
        "bad.yaml",
    )
    runtime = logboot.setup_logging(good)
    with pytest.raises(
        logboot.SetupError,
        match=r"^cannot create the folder of log file '/dev/null/app\.log': "
        r"'/dev/null' exists and is not a folder$",
    ):
        logboot.setup_logging(bad)
    assert logboot.active_runtime() is runtime
    logging.getLogger("app").info("record %d", 0)
    runtime.stop()
    assert numbers(whole_lines(tmp_path / "healthy.log")) == [0]


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder an unprivileged user can enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="logboot-faults-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_read_only_folder_fails_setup_with_the_path(shared_folder: Path) -> None:
    """As an unprivileged user, a file sink in a read-only folder fails at setup with its path."""
    uid, gid = os.geteuid(), os.getegid()
    if uid == 0:  # root ignores permissions: drop to nobody inside the child, after its imports
        try:
            user = pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("running as root and there is no user 'nobody' to drop to")
        uid, gid = user.pw_uid, user.pw_gid
    locked = shared_folder / "locked"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    path = profile(shared_folder, "", "healthy")
    path.write_text(path.read_text().replace(str(shared_folder / "healthy.log"), str(locked / "app.log")))
    path.chmod(0o644)
    done = run_child(
        shared_folder,
        """
        import os, sys, logboot, logboot.profile.loading, logboot.sinks.files  # imported while readable
        uid, gid = int(sys.argv[2]), int(sys.argv[3])
        if os.geteuid() != uid:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        try:
            logboot.setup_logging(sys.argv[1])
        except logboot.SetupError as err:
            print(os.geteuid(), err)
        """,
        str(path),
        str(uid),
        str(gid),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{uid} cannot open log file '{locked / 'app.log'}': Permission denied\n"
    assert not (locked / "app.log").exists()
    assert stat.S_IMODE(locked.stat().st_mode) == 0o555
