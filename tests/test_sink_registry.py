"""The table of sink types (``logboot.sinks.SINK_TYPES``): every entry resolves, its builder
never pulls in validation, and the profile's sink union is exactly the table.

Each test runs over the whole table, so a new sink type is covered by its one line there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import typing
from typing import Any, Literal

import pytest
from conftest import REPO

from logboot import sinks
from logboot.profile.schema import SinkSpec, json_schema
from logboot.profile.schema_export import union_members
from logboot.sinks import SINK_TYPES, SinkType
from logboot.sinks.base_spec import SinkCommon

pytestmark = pytest.mark.timeout(60)

# What a start from the profile cache must not import; a builder runs there.
VALIDATION = ("pydantic", "yaml", "logboot.profile")
ENTRIES = sorted(SINK_TYPES.items())
IDS = [name for name, _ in ENTRIES]


def module_of(reference: str) -> str:
    return reference.partition(":")[0]


def validation_modules(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == v or m.startswith(v + ".") for v in VALIDATION))


@pytest.mark.parametrize(("name", "kind"), ENTRIES, ids=IDS)
def test_spec_resolves_to_the_model_of_its_type(name: str, kind: SinkType) -> None:
    """``spec`` names a SinkCommon model whose ``type`` tag is the table's key, in the
    ``<builder>_spec`` module beside its builder."""
    model = sinks.spec_model(name)
    assert isinstance(model, type) and issubclass(model, SinkCommon), kind.spec
    assert typing.get_origin(model.model_fields["type"].annotation) is Literal
    assert typing.get_args(model.model_fields["type"].annotation) == (name,)
    assert module_of(kind.spec) == module_of(kind.build) + "_spec"
    assert model.__module__ == module_of(kind.spec)


@pytest.mark.parametrize(("name", "kind"), ENTRIES, ids=IDS)
def test_build_resolves_to_a_function(name: str, kind: SinkType) -> None:
    """``build`` names a function of a module of ``logboot.sinks``; ``builder`` returns it."""
    function = sinks.builder(name)
    assert callable(function)
    assert function is sinks.load(kind.build)
    assert module_of(kind.build).startswith("logboot.sinks.")


@pytest.fixture(scope="module")
def graph() -> Any:
    """logboot's import graph (grimp, import-linter's engine), without type-checking imports."""
    grimp = pytest.importorskip("grimp")
    return grimp.build_graph(
        "logboot", include_external_packages=True, exclude_type_checking_imports=True, cache_dir=None
    )


@pytest.mark.parametrize(("name", "kind"), ENTRIES, ids=IDS)
def test_builder_imports_no_validation(graph: Any, name: str, kind: SinkType) -> None:
    """Everything the builder module imports, directly or not (imports inside functions too,
    but not those only for the type checker), is free of pydantic, yaml and logboot.profile."""
    builder_module = module_of(kind.build)
    # "Upstream" in grimp: the modules that this one imports, directly or indirectly.
    closure = graph.find_upstream_modules(builder_module) | {builder_module}
    closure |= graph.find_upstream_modules("logboot.sinks")  # the package it is loaded through
    assert validation_modules(closure) == [], name


def test_importing_every_builder_loads_no_validation() -> None:
    """In a fresh interpreter, importing every builder module (after the ``logboot.sinks``
    package they are loaded through) adds no pydantic, yaml or logboot.profile module."""
    builders = sorted({module_of(kind.build) for kind in SINK_TYPES.values()})
    program = textwrap.dedent(
        f"""
        import importlib, json, sys
        import logboot.sinks
        before = set(sys.modules)
        for name in {builders!r}:
            importlib.import_module(name)
        print(json.dumps(sorted(set(sys.modules) - before)))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    added = set(json.loads(run.stdout))
    assert set(builders) <= added
    assert validation_modules(added) == []


def test_profile_sink_union_is_the_table_in_order() -> None:
    """The profile's union of sink specs is the table's models, in its order, told apart by ``type``."""
    union, discriminated = typing.get_args(SinkSpec)
    assert list(typing.get_args(union)) == [sinks.spec_model(name) for name in SINK_TYPES]
    assert discriminated.discriminator == "type"
    prop: dict[str, Any] = json_schema()["properties"]["sinks"]["additionalProperties"]
    members = union_members(prop)  # the JSON Schema picks the model by `type` (if/then)
    assert [tag for tag, _ in members] == list(SINK_TYPES)
    refs = [ref.rpartition("/")[2] for _, ref in members]
    assert refs == [sinks.spec_model(name).__name__ for name in SINK_TYPES]


def test_optional_dependencies_follow_the_table() -> None:
    """``OPTIONAL_DEPENDENCIES`` (what ``missing_dependency`` reads) is the table's ``needs``."""
    needs = {name: kind.needs for name, kind in SINK_TYPES.items() if kind.needs is not None}
    assert needs == sinks.OPTIONAL_DEPENDENCIES
    for name in SINK_TYPES:
        missing = sinks.missing_dependency(name)
        assert missing is None or missing == SINK_TYPES[name].needs


def test_every_sink_module_is_a_builder_a_spec_or_under_the_contract() -> None:
    """Each module of ``logboot/sinks/`` is a builder in the table (checked above), a ``*_spec``
    module, or named in the import-linter contract for what the builders share."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    contract = text.split('name = "what the sink builders share never imports validation"')[1].split("[[")[0]
    listed = set(re.findall(r'"(logboot\.sinks[\w.]*)"', contract))
    builders = {module_of(kind.build) for kind in SINK_TYPES.values()}
    modules = {
        "logboot.sinks" if path.stem == "__init__" else f"logboot.sinks.{path.stem}"
        for path in (REPO / "logboot" / "sinks").glob("*.py")
        if not path.stem.endswith("_spec")
    }
    assert modules - builders == listed
