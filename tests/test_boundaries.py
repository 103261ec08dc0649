"""No module of logboot uses another module's private names.

The convention (one for what is public; also in docs/architecture.md, "Conventions"):

- A name with one leading underscore (``_NESTED_WAITS``, ``ThreadQueue._lock``) is
  private to the module that defines it: no other module imports it, reads it or sets it
  on an object. What another module needs gets a public name in its owner, or a small
  public method that does the job (``ThreadQueue.lock_held``). Dunders (``__version__``)
  are not private.
- Modules are not named private: which modules users import is said once, by what
  ``logboot/__init__.py`` exports and by the documented public homes (``logboot.dictconfig``,
  ``logboot.integrations``, ``logboot.capture``, ``logboot.testing``, ``logboot.errors``);
  every other module is the package's own, and its public names are for other logboot
  modules. No module's file name starts with an underscore (checked below).
- Within its own module a private name may be used on any object (``other._fields`` in
  ``__eq__``, ``previous._hand_over()`` from one runtime to the next).
- Tests are white-box: all of this is about the package only.

Checked statically, over every module of the package:

1. ``from <logboot module> import _name``, relative or absolute, at any level of the file,
   from another module (the package's ``__init__`` included), unless ``_name`` is a
   private module. ``import logboot._x`` only imports a private module: a private name
   reached through it is an attribute, caught by 2.
2. ``<expr>._name`` (and ``getattr``/``setattr``/``hasattr``/``delattr`` with the constant
   ``"_name"``) where ``<expr>`` is not ``self`` or ``cls``, unless a class of this module
   defines ``_name`` (assigned on ``self``/``cls``, in a class body or ``__slots__``) and
   no other module of the package does: a name that several modules define could be
   another module's, so it is flagged too.

What is let through is listed below, each with its reason; an entry no longer needed fails.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import NamedTuple

import pytest

import logboot

pytestmark = pytest.mark.timeout(30)

PACKAGE = Path(logboot.__file__).parent
NAMED_TUPLE = "typing.NamedTuple's documented API (the underscore keeps it apart from the fields)"

# Underscored names that logboot does not own, as (object, attribute); "*": any object.
OUTSIDE = {
    ("*", "_replace"): NAMED_TUPLE,
    ("*", "_asdict"): NAMED_TUPLE,
    ("os", "_exit"): "the standard library's documented exit without clean-up",
    ("logging", "_lock"): (
        "the standard library's module lock, which logging.config.dictConfig takes: swapping "
        "handlers must hold the same lock, and logging has no public name for it"
    ),
    ("logging", "_levelToName"): (
        "the table LogRecord reads a level's name from (getLevelName's first look-up): LeanRecord "
        "reads it the same way, without the call (core/lean_record.py)"
    ),
    ("logging", "_startTime"): (
        "the time logging was imported, from which LogRecord derives relativeCreated: LeanRecord "
        "derives it the same way (core/lean_record.py)"
    ),
    ("lock", "_is_owned"): (
        "threading.RLock's (threading.Condition asks it the same): a signal handler must know "
        "whether the thread it interrupted holds a queue's reentrant lock without taking it, "
        "and RLock has no public way to ask (queues.stays_taken)"
    ),
}

# Uses inside logboot, as (file, expression).
EXCEPTIONS = {
    ("logboot/runtime/lifecycle.py", "previous._lock"): (
        "Runtime's own lock, in runtime.py (queues, transport, processes and reporting define a _lock too)"
    ),
    ("logboot/runtime/lifecycle.py", "runtime._start"): (
        "Runtime._start, in runtime.py (sinks/remote.py defines a _start too)"
    ),
    (
        "logboot/profile/plain.py",
        "other._fields",
    ): "PlainSpec._fields, in plain.py (redaction.py defines a _fields too)",
    (
        "logboot/profile/plain.py",
        "value._fields",
    ): "PlainSpec._fields, in plain.py (redaction.py defines a _fields too)",
}


class Hit(NamedTuple):
    """One use of a private name: where, the code, and (for an attribute) its object and name."""

    file: str
    line: int
    code: str
    obj: str | None = None
    attr: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.code}"


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_module(node: ast.ImportFrom, name: str, path: Path) -> str | None:
    """The absolute name of the module that ``node``, in module ``name``, imports from."""
    if node.level == 0:
        return node.module
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for an attribute chain rooted at a name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        root = dotted(node.value)
        return None if root is None else f"{root}.{node.attr}"
    return None


def defined_attributes(tree: ast.Module) -> set[str]:
    """The attributes that the classes of a module define."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            names.add(node.attr)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    for target in item.targets:
                        if isinstance(target, ast.Name):
                            names.add(target.id)
                    if any(isinstance(t, ast.Name) and t.id == "__slots__" for t in item.targets):
                        names.update(
                            const.value
                            for const in ast.walk(item.value)
                            if isinstance(const, ast.Constant) and isinstance(const.value, str)
                        )
    return names


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
TEXTS = {name: path.read_text(encoding="utf-8") for name, path in MODULES.items()}


def definers() -> dict[str, set[str]]:
    """For each attribute that classes of the package define, the modules that define it."""
    found: dict[str, set[str]] = {}
    for name, text in TEXTS.items():
        for attr in defined_attributes(ast.parse(text)):
            found.setdefault(attr, set()).add(name)
    return found


DEFINERS = definers()


def hits_in(name: str, path: Path, text: str) -> list[Hit]:
    """Every use of a private name in module ``name`` (the file ``path`` holding ``text``)
    that is not its own, before the lists above are applied."""
    tree = ast.parse(text, str(path))
    own = {attr for attr in defined_attributes(tree) if DEFINERS.get(attr, set()) <= {name}}
    where = str(path.relative_to(PACKAGE.parent))
    found: list[Hit] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = imported_module(node, name, path)
            if source is None or source.split(".")[0] != "logboot" or source == name:
                continue
            found += [
                Hit(where, node.lineno, f"from {source} import {alias.name}")
                for alias in node.names
                if private(alias.name) and f"{source}.{alias.name}" not in MODULES
            ]
        elif isinstance(node, ast.Attribute) and private(node.attr):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            if dotted(node) in MODULES or node.attr in own:  # a private module; this module's own
                continue
            found.append(Hit(where, node.lineno, ast.unparse(node), dotted(node.value), node.attr))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and private(node.args[1].value)
        ):
            attr = node.args[1].value
            if attr not in own:
                found.append(Hit(where, node.lineno, ast.unparse(node), dotted(node.args[0]), attr))
    return found


def excuse(hit: Hit) -> tuple[str, str] | None:
    """The entry of ``OUTSIDE`` or ``EXCEPTIONS`` that lets ``hit`` through, if any."""
    for key in ((hit.obj or "", hit.attr), ("*", hit.attr)):
        if key in OUTSIDE:
            return key
    key = (hit.file, hit.code)
    return key if key in EXCEPTIONS else None


ALL_HITS = [hit for name, path in MODULES.items() for hit in hits_in(name, path, TEXTS[name])]


def test_the_package_is_found() -> None:
    """The check reads every module of the package, private ones and subpackages included."""
    assert {
        "logboot",
        "logboot.cli.commands",
        "logboot.formatters.text_layout",
        "logboot.sinks.files",
    } <= set(MODULES)


def test_no_module_uses_another_modules_private_names() -> None:
    """No module imports, reads or sets a private name that another module defines."""
    assert [str(hit) for hit in ALL_HITS if excuse(hit) is None] == []


def test_every_exception_is_still_needed() -> None:
    """Each entry of OUTSIDE and EXCEPTIONS still lets a use through."""
    used = {excuse(hit) for hit in ALL_HITS}
    assert set(OUTSIDE) | set(EXCEPTIONS) <= used


@pytest.mark.parametrize(
    ("source", "found"),
    [
        (
            "from ..runtime.queues import _NESTED_WAITS\n",
            ["from logboot.runtime.queues import _NESTED_WAITS"],
        ),
        ("from logboot.cli.commands import app, _fail\n", ["from logboot.cli.commands import _fail"]),
        ("from . import checking, _fail\n", ["from logboot.cli import _fail"]),
        (
            "def f():\n    from ..runtime.queues import ThreadQueue, _HIGH_WATER\n",
            ["from logboot.runtime.queues import _HIGH_WATER"],
        ),
        (
            "from ..formatters import text_layout\nfrom ..formatters.text_layout import compile_layout\n",
            [],
        ),
        (
            "import logboot.formatters.text_layout\nlogboot.formatters.text_layout._line\n",
            ["logboot.formatters.text_layout._line"],
        ),
        ("def f(queue):\n    return queue._items\n", ["queue._items"]),
        ("def f(runtime):\n    return runtime.topology._queues\n", ["runtime.topology._queues"]),
        ("def f(runtime):\n    setattr(runtime, '_plan', None)\n", ["setattr(runtime, '_plan', None)"]),
        ("class A:\n    def f(self, other):\n        self._probe = other._probe\n", []),
        ("class A:\n    def f(self, other):\n        self._items = other._items\n", ["other._items"]),
        ("class A:\n    def f(self):\n        return self._y.z\n", []),
        ("import os\nos._exit(0)\nx = p._replace(a=1)\n__version__ = logboot.__version__\n", []),
    ],
)
def test_the_check_finds_what_it_should(source: str, found: list[str]) -> None:
    """The check flags each kind of use of another module's private name, and nothing else."""
    hits = hits_in("logboot.cli.probe", PACKAGE / "cli" / "probe.py", source)
    assert [hit.code for hit in hits if excuse(hit) is None] == found


def test_no_module_is_named_private() -> None:
    """No module of the package has a file name with a leading underscore (``__init__`` aside)."""
    named = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name.startswith("_") and path.name != "__init__.py"
    )
    assert named == []
