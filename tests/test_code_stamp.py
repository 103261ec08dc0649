"""The profile cache's code stamp: any module of the package, in any folder, changes it;
bytecode does not. Checked on a real copy of the package, imported from where it lies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.timeout(60)
BYTECODE_SETTINGS = frozenset({"PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX"})

# Prints the stamp of the logboot found first on the path, after checking it is the copy.
PROGRAM = (
    "import sys, logboot.profile.cache as cache\n"
    "assert cache.__file__.startswith(sys.argv[1]), cache.__file__\n"
    "print(cache.code_stamp())\n"
)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A copy of the logboot package (modification times kept), without its bytecode."""
    copy = tmp_path / "logboot"
    shutil.copytree(REPO / "logboot", copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def stamp(package: Path) -> str:
    """``code_stamp()`` in a fresh process that imports logboot from ``package`` (and writes
    its bytecode into the copy's ``__pycache__`` folders)."""
    env = {name: value for name, value in os.environ.items() if name not in BYTECODE_SETTINGS}
    env["PYTHONPATH"] = str(package.parent)
    run = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(package)],
        env=env,
        cwd=package.parent,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    stamp = run.stdout.strip()
    assert stamp not in ("", "None")
    return stamp


def touch(package: Path, path: Path) -> None:
    """Give ``path`` a modification time newer than that of every module of ``package``."""
    newer = max(module.stat().st_mtime_ns for module in package.rglob("*.py")) + 10**9
    os.utime(path, ns=(newer, newer))


def add_folder(package: Path) -> None:
    """A new subpackage whose module is older than the rest (a file copied in keeps its mtime)."""
    (package / "extra").mkdir()
    module = package / "extra" / "__init__.py"
    module.write_text("", encoding="utf-8")
    os.utime(module, ns=(0, 0))


def move_module(package: Path) -> None:
    """A module moved to another folder, its modification time kept."""
    os.rename(package / "sinks" / "null.py", package / "cli" / "null.py")


CHANGES: dict[str, Callable[[Path], None]] = {
    "sinks module touched": lambda package: touch(package, package / "sinks" / "syslog.py"),
    "cli module touched": lambda package: touch(package, package / "cli" / "commands.py"),
    "top-level module touched": lambda package: touch(package, package / "errors.py"),
    "runtime module touched": lambda package: touch(package, package / "runtime" / "lifecycle.py"),
    "subpackage added": add_folder,
    "module moved to another folder": move_module,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_changed_module_changes_the_stamp(package: Path, change: Callable[[Path], None]) -> None:
    """Touching, adding or moving a module, in any folder of the package, changes the stamp."""
    before = stamp(package)
    assert stamp(package) == before  # nothing changed: the same stamp
    change(package)
    assert stamp(package) != before


def test_bytecode_does_not_change_the_stamp(package: Path) -> None:
    """Newer files in ``__pycache__`` (written by any import) leave the stamp as it was."""
    before = stamp(package)  # this import wrote the bytecode
    compiled = sorted(package.rglob("__pycache__/*.pyc"))
    assert {path.parent.parent.name for path in compiled} >= {"logboot", "sinks"}
    for path in compiled:
        touch(package, path)
    assert stamp(package) == before
