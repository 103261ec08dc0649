"""What users import stays where they import it: the names of ``import logboot`` and the
documented public homes, whatever the folders behind them."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import logboot

pytestmark = pytest.mark.timeout(60)

# `import logboot` as documented (README, docs/getting-started.md); a name dropped or added
# here is a change of the public API, and the CHANGELOG says so.
PUBLIC = [
    "LogbootError",
    "MissingDependencyError",
    "Problem",
    "ProcessHandle",
    "Profile",
    "ProfileError",
    "ProfileNotFoundError",
    "Runtime",
    "SetupError",
    "ShutdownReport",
    "Validation",
    "__version__",
    "active_runtime",
    "attach",
    "bind",
    "bound",
    "carry",
    "check_profile",
    "context",
    "load_profile",
    "setup_logging",
    "unbind",
]

# The documented homes of names users import from a module (docs/recipes.md,
# docs/migrating.md, README) -> where the code lives now.
HOMES: dict[str, dict[str, list[str]]] = {
    "logboot.dictconfig": {
        "logboot.interop.dictconfig": ["export_dictconfig", "read_dictconfig", "DictConfigError"],
        "logboot.interop.dictconfig_import": ["import_dictconfig"],
    },
    "logboot.integrations": {"logboot.interop.integrations": ["ProfileHandler", "post_fork"]},
    "logboot.capture": {"logboot.testing.capture": ["capture_logging", "LogCapture", "CaptureHandler"]},
    "logboot.testing": {"logboot.testing.capture": ["capture_logging", "LogCapture", "CaptureHandler"]},
    "logboot.errors": {"logboot.errors": ["LogbootError", "ProfileError", "SetupError", "Problem"]},
}


def test_import_logboot_offers_the_documented_names() -> None:
    """``logboot.__all__`` is the documented list, and every name in it resolves."""
    assert sorted(logboot.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(logboot, name) is not None


@pytest.mark.parametrize("home", sorted(HOMES))
def test_documented_homes_hand_out_the_implementation(home: str) -> None:
    """Each documented module offers its names, the very objects of the module behind it."""
    public = importlib.import_module(home)
    for source, names in HOMES[home].items():
        behind = importlib.import_module(source)
        for name in names:
            assert getattr(public, name) is getattr(behind, name)


def test_export_names_the_public_home_of_its_handler() -> None:
    """An exported ``dictConfig`` document names ``logboot.integrations.ProfileHandler``, the
    path documents written by earlier versions use too."""
    from logboot.dictconfig import export_dictconfig
    from logboot.profile.resolve import resolve_profile

    document = export_dictconfig(resolve_profile(None, environ={}))
    assert {h["()"] for h in document["handlers"].values()} == {"logboot.integrations.ProfileHandler"}


def test_import_logboot_stays_light() -> None:
    """``import logboot`` loads no validation, no CLI and none of the folders' heavy parts."""
    program = (
        "import sys, logboot\n"
        "heavy = ('pydantic', 'yaml', 'typer', 'rich', 'logboot.cli', 'logboot.profile.schema',"
        " 'logboot.runtime.transport', 'logboot.interop.dictconfig')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=30, check=True
    )
    assert run.stdout.strip() == "[]"
