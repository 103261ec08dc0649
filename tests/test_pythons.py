"""Every Python the project claims is the one CI tests: pyproject agrees with itself, and
`.ci/test-all` fails when a claimed interpreter is missing (always in CI)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself depends on tomli before 3.11
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"

# Stands in for the repository's Makefile: says what it was asked, and `pytest` prints a result
# line and exits $PYTEST_EXIT.
FAKE_MAKEFILE = """\
lint typecheck:
\t@echo "ran $@"
\t@exit $${CHECKS_EXIT:-0}
pytest:
\t@echo "ran pytest with $(PYTHON) in $(VENV)"
\t@if [ "$${PYTEST_EXIT:-0}" = 5 ]; then echo "==== no tests ran in 0.01s ===="; \\
\telse echo "==== 3 passed in 0.01s ===="; fi
\t@exit $${PYTEST_EXIT:-0}
"""


def claimed_versions() -> list[str]:
    prefix = "Programming Language :: Python :: "
    return [
        c.removeprefix(prefix)
        for c in PYPROJECT["project"]["classifiers"]
        if re.match(rf"^{prefix}3\.\d+$", c)
    ]


def test_the_claimed_versions_agree_with_requires_python_ruff_and_mypy() -> None:
    """The classifiers list 3.10 to 3.13, from requires-python's minimum, ruff's and mypy's target."""
    versions = claimed_versions()
    assert versions == ["3.10", "3.11", "3.12", "3.13"]
    assert PYPROJECT["project"]["requires-python"] == f">={versions[0]}"
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py" + versions[0].replace(".", "")
    assert PYPROJECT["tool"]["mypy"]["python_version"] == versions[0]
    assert HERE in versions


def test_ci_runs_every_claimed_version_then_the_wheel() -> None:
    """.ci/run ends with `make test-all` then `make wheel-smoke` (both run; either fails the run),
    and the Makefile's targets run .ci/test-all and .ci/wheel-smoke."""
    run = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    steps = [line for line in run if line and not line.startswith("#")]
    assert steps[-4:] == [
        "status=0",
        "make test-all || status=$?",
        "make wheel-smoke || status=1",
        "exit $status",
    ]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "test-all:\n\t.ci/test-all\n" in makefile
    assert "wheel-smoke: $(STAMP)\n\tVENV=$(VENV) PYTHON=$(PYTHON) .ci/wheel-smoke\n" in makefile


def test_the_wheel_smoke_step_installs_the_wheel_alone_and_starts_it() -> None:
    """.ci/wheel-smoke builds the wheel, installs it in a fresh virtualenv, and there runs init
    --schema, check --strict and a start that counts every line (CI runs it; see .ci/run)."""
    script = (REPO / ".ci" / "wheel-smoke").read_text(encoding="utf-8")
    assert os.access(REPO / ".ci" / "wheel-smoke", os.X_OK)
    for step in (
        '-m build --no-isolation --outdir "$work/dist"',
        '"$python" -m venv "$work/venv"',
        '-m pip install --quiet --disable-pip-version-check "${find_links[@]}" "$wheel"',
        '"$work/venv/bin/logboot" init --schema logboot.yaml',
        '"$work/venv/bin/logboot" check --strict logboot.yaml',
        "runtime = logboot.setup_logging(",
        "runtime.stop()",
    ):
        assert step in script, step


def fake_tree(tmp_path: Path, versions: list[str]) -> tuple[Path, Path]:
    """A copy of .ci/test-all beside a pyproject claiming ``versions`` and a fake Makefile, and a
    folder for PATH holding `python<HERE>` (this interpreter) and `make`, but no other Python."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(REPO / ".ci" / "test-all", tmp_path / ".ci" / "test-all")
    classifiers = "".join(f'    "Programming Language :: Python :: {v}",\n' for v in versions)
    (tmp_path / "pyproject.toml").write_text(
        f"[project]\nclassifiers = [\n{classifiers}]\n", encoding="utf-8"
    )
    (tmp_path / "Makefile").write_text(FAKE_MAKEFILE, encoding="utf-8")
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / f"python{HERE}").symlink_to(sys.executable)
    for tool in (
        "make",
        "bash",
        "sed",
        "grep",
        "tee",
        "mktemp",
        "sort",
        "ls",
        "tail",
        "tr",
        "cat",
        "dirname",
    ):
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_folder / tool).symlink_to(found)
    return tmp_path / ".ci" / "test-all", bin_folder


def run_all(script: Path, bin_folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the copied test-all with only ``bin_folder`` on PATH, no pyenv, and ``env``."""
    base = {
        "PATH": str(bin_folder),
        "HOME": str(script.parent.parent),
        "PYENV_ROOT": str(bin_folder / "none"),
    }
    return subprocess.run(
        [str(bin_folder / "bash"), str(script)],
        capture_output=True,
        text=True,
        env={**base, **env},
        check=False,
        timeout=60,
    )


def test_every_found_version_gets_its_own_virtualenv_and_a_result_line(tmp_path: Path) -> None:
    """With every claimed version found: lint and mypy once, pytest per version, one result line each."""
    script, bin_folder = fake_tree(tmp_path, [HERE])
    done = run_all(script, bin_folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ran lint") == done.stdout.count("ran typecheck") == 1
    assert f"ran pytest with {bin_folder / f'python{HERE}'} in .venv-{HERE}" in done.stdout
    assert done.stdout.endswith(
        f"=== every Python ===\nruff and mypy: clean (exit 0)\n{HERE}: 3 passed in 0.01s (exit 0)\n"
    )


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "install them, or set LOGBOOT_SKIP_MISSING_PYTHONS=1 to run the others"),
        ({"CI": "true"}, "in CI every claimed version must run"),
        ({"CI": "true", "LOGBOOT_SKIP_MISSING_PYTHONS": "1"}, "in CI every claimed version must run"),
        ({"LOGBOOT_CI": "1", "LOGBOOT_SKIP_MISSING_PYTHONS": "1"}, "in CI every claimed version must run"),
    ],
)
def test_a_missing_version_fails_the_run(env: dict[str, str], says: str, tmp_path: Path) -> None:
    """A claimed version not installed fails the run before it starts; in CI the opt-out is ignored."""
    script, bin_folder = fake_tree(tmp_path, ["3.99", HERE])
    done = run_all(script, bin_folder, **env)
    assert done.returncode == 1
    assert "test-all: Python 3.99 not found" in done.stderr
    assert f"test-all: {says}\n" in done.stderr
    assert "ran " not in done.stdout


def test_the_local_opt_out_runs_the_others_and_names_the_missing(tmp_path: Path) -> None:
    """Off CI, LOGBOOT_SKIP_MISSING_PYTHONS=1 tests the versions found and says which were not."""
    script, bin_folder = fake_tree(tmp_path, ["3.99", HERE])
    done = run_all(script, bin_folder, LOGBOOT_SKIP_MISSING_PYTHONS="1")
    assert done.returncode == 0, done.stderr
    assert "test-all: LOGBOOT_SKIP_MISSING_PYTHONS=1: NOT testing Python 3.99" in done.stderr
    assert done.stdout.endswith(
        f"3.99: NOT RUN (not found)\n{HERE}: 3 passed in 0.01s (exit 0)\nnot tested: Python 3.99\n"
    )


def test_a_pyenv_shim_that_does_not_run_is_not_an_interpreter(tmp_path: Path) -> None:
    """A `python3.X` on PATH that fails (an inactive pyenv shim) is passed over for pyenv's own."""
    script, bin_folder = fake_tree(tmp_path, [HERE])
    (bin_folder / f"python{HERE}").unlink()
    (bin_folder / f"python{HERE}").write_text("#!/bin/sh\necho 'pyenv: command not found' >&2\nexit 127\n")
    (bin_folder / f"python{HERE}").chmod(0o755)
    pyenv = tmp_path / "pyenv" / "versions" / f"{HERE}.1" / "bin"
    pyenv.mkdir(parents=True)
    (pyenv / f"python{HERE}").symlink_to(sys.executable)
    done = run_all(script, bin_folder, PYENV_ROOT=str(tmp_path / "pyenv"))
    assert done.returncode == 0, done.stderr
    assert f"test-all: Python {HERE} is {pyenv / f'python{HERE}'}\n" in done.stdout


def test_no_tests_collected_fails_the_version(tmp_path: Path) -> None:
    """pytest's exit 5 (no tests ran) is a failure of that version: nothing was proven."""
    script, bin_folder = fake_tree(tmp_path, [HERE])
    done = run_all(script, bin_folder, PYTEST_EXIT="5")
    assert done.returncode == 1
    assert done.stdout.endswith(
        f"{HERE}: no tests ran (pytest exit 5): nothing was proven on {HERE} (exit 2)\n"
    )


def test_pyproject_is_read_by_the_script_as_by_toml() -> None:
    """The script's reading of the classifiers (sed) finds the same versions as a TOML parser."""
    script = (REPO / ".ci" / "test-all").read_text(encoding="utf-8")
    pattern = re.search(r"sed -n '(s/.*?)' pyproject\.toml", script)
    assert pattern is not None
    done = subprocess.run(
        ["sed", "-n", pattern.group(1), str(REPO / "pyproject.toml")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == claimed_versions()
    assert os.access(REPO / ".ci" / "test-all", os.X_OK)


def test_a_lint_failure_fails_the_run_but_every_suite_still_runs(tmp_path: Path) -> None:
    """ruff or mypy failing fails the run, and each version's suite still runs and reports."""
    script, bin_folder = fake_tree(tmp_path, [HERE])
    done = run_all(script, bin_folder, CHECKS_EXIT="1")
    assert done.returncode == 1
    assert done.stdout.endswith(f"ruff and mypy: FAILED (exit 2)\n{HERE}: 3 passed in 0.01s (exit 0)\n")
