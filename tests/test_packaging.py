"""The archives users install from: the sdist and the wheel, built as a release builds them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from logboot.profile.schema import schema_text

REPO = Path(__file__).resolve().parent.parent
# Building runs the backend in a subprocess (twice: the sdist, then the wheel from it).
pytestmark = pytest.mark.timeout(180)

# What a checkout holds that is no part of any archive (tool state, other virtualenvs).
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv*", "__pycache__", "*.egg-info", "build", "dist", ".*_cache", ".coverage*", "logs"
)


@dataclass(frozen=True)
class Dist:
    """The two archives of one build, and what the build printed."""

    sdist: Path
    wheel: Path
    output: str

    def sdist_names(self) -> list[str]:
        """The sdist's members, without the leading ``logboot-X.Y.Z/``."""
        with tarfile.open(self.sdist) as archive:
            return [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]

    def wheel_names(self) -> list[str]:
        """The wheel's members."""
        with zipfile.ZipFile(self.wheel) as archive:
            return archive.namelist()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dist]:
    """``python -m build`` (the sdist, then the wheel from the sdist) of a copy of the checkout.

    A copy, so that the build's ``*.egg-info`` never lands beside the editable install; without
    isolation, so that it uses this virtualenv's setuptools (the ``dev`` extra) and no network.
    """
    source = tmp_path_factory.mktemp("source") / "logboot"
    shutil.copytree(REPO, source, ignore=_NOT_SOURCE)
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    output = build.stdout + build.stderr
    assert build.returncode == 0, output
    (sdist,) = out.glob("logboot-*.tar.gz")
    (wheel,) = out.glob("logboot-*.whl")
    yield Dist(sdist, wheel, output)


def test_the_build_warns_about_no_license_metadata(dist: Dist) -> None:
    """The license is an SPDX expression with its file: setuptools has nothing to deprecate."""
    lines = dist.output.lower().splitlines()
    assert [line for line in lines if "licen" in line and "warn" in line] == []


def test_the_license_is_in_the_sdist_and_the_wheel(dist: Dist) -> None:
    """LICENSE ships in both archives, and the wheel's metadata names it and the SPDX expression."""
    assert "LICENSE" in dist.sdist_names()
    names = dist.wheel_names()
    (info,) = {name.split("/", 1)[0] for name in names if name.split("/", 1)[0].endswith(".dist-info")}
    assert f"{info}/licenses/LICENSE" in names
    with zipfile.ZipFile(dist.wheel) as archive:
        metadata = archive.read(f"{info}/METADATA").decode()
        license_text = archive.read(f"{info}/licenses/LICENSE").decode()
    assert "License-Expression: MIT" in metadata.splitlines()
    assert "License-File: LICENSE" in metadata.splitlines()
    assert not any(line.startswith("Classifier: License ::") for line in metadata.splitlines())
    assert license_text == (REPO / "LICENSE").read_text()


def test_the_sdist_ships_no_tests(dist: Dist) -> None:
    """No test tree in the sdist: the suite needs the whole checkout, so none beats a broken one."""
    assert [name for name in dist.sdist_names() if name.startswith("tests/")] == []
    assert {"pyproject.toml", "README.md", "CHANGELOG.md", "LICENSE", "logboot/__init__.py"} <= set(
        dist.sdist_names()
    )


def test_the_wheel_holds_the_package_data(dist: Dist) -> None:
    """The wheel has the typing marker, every ``init`` template and the JSON Schema (the one
    ``logboot schema`` prints)."""
    names = set(dist.wheel_names())
    assert "logboot/py.typed" in names
    with zipfile.ZipFile(dist.wheel) as archive:
        assert archive.read("logboot/logboot.schema.json").decode() == schema_text()
    templates = {f"logboot/templates/{path.name}" for path in (REPO / "logboot/templates").glob("*.yaml")}
    assert templates and templates <= names
