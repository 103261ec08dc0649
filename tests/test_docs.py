"""The docs cannot drift: the reference is generated from the schema, snippets and links are checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO

import logboot
from logboot.profile.loading import validate_document
from logboot.profile.reading import read_text
from tools import docgen

DOCS = REPO / "docs"
MINE = ["getting-started.md", "recipes.md", "migrating.md", "profile-reference.md"]
OTHERS = {"reliability.md", "benchmarks.md", "cli.md", "forwarding.md"}  # written alongside, elsewhere
pytestmark = pytest.mark.timeout(30)


def test_the_profile_reference_matches_the_schema() -> None:
    """docs/profile-reference.md is exactly what `python -m tools.docgen` writes from the schema."""
    committed = (DOCS / "profile-reference.md").read_text(encoding="utf-8")
    assert committed == docgen.render(), (
        "docs/profile-reference.md is out of date: run python -m tools.docgen"
    )


def test_the_reference_names_every_key_of_every_model() -> None:
    """Every sink type and every key of the schema appears in the reference."""
    text = docgen.render()
    schema = logboot.Profile.model_json_schema()
    for name, model in schema["$defs"].items():
        for key in model.get("properties", {}):
            if key != "type":
                assert f"| `{key}` |" in text, (name, key)
    for sink_type in ("console", "file", "rotating_file", "timed_rotating_file", "null", "syslog", "otlp"):
        assert f"### sinks: `{sink_type}`" in text


def test_docgen_check_reports_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--check` exits 1 for a stale file and 0 once the file is written."""
    out = tmp_path / "ref.md"
    out.write_text("stale\n", encoding="utf-8")
    assert docgen.main(["--check", "--output", str(out)]) == 1
    assert capsys.readouterr().err == f"{out} is out of date: run `python -m tools.docgen`\n"
    assert docgen.main(["--output", str(out)]) == 0
    assert docgen.main(["--check", "--output", str(out)]) == 0


@pytest.mark.parametrize("name", MINE[:3])
def test_every_profile_in_the_guides_is_valid(name: str) -> None:
    """Each YAML block of a guide that starts with `version: 1` passes validation."""
    text = (DOCS / name).read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if b.startswith("version: 1")]
    for block in blocks:
        result = validate_document(read_text(block, name, environ={}))
        assert result.ok, [str(p) for p in result.problems]
    assert blocks or name == "recipes.md"


@pytest.mark.parametrize("name", MINE)
def test_relative_links_lead_somewhere(name: str) -> None:
    """Every relative link of a guide names a file that exists (and a heading, if it has one)."""
    text = (DOCS / name).read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:]*)(?:#([^)]*))?\)", text):
        path, anchor = target
        if not path or path in OTHERS:
            continue
        resolved = (DOCS / path).resolve()
        assert resolved.exists(), f"{name}: {path}"
        if anchor and resolved.suffix == ".md":
            headings = re.findall(r"^#+ (.*)$", resolved.read_text(encoding="utf-8"), re.M)
            slugs = {re.sub(r"[^a-z0-9 _-]", "", h.lower()).replace(" ", "-") for h in headings}
            assert anchor in slugs, f"{name}: {path}#{anchor}"


def test_the_readme_links_the_guides() -> None:
    """README.md links every guide in docs/."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in [*MINE, *sorted(OTHERS)]:
        assert f"docs/{name}" in readme, name


def test_every_example_profile_passes_check() -> None:
    """The recipes' profiles in examples/profiles are valid, without warnings."""
    paths = sorted((REPO / "examples" / "profiles").glob("*.yaml"))
    assert len(paths) >= 6
    for path in paths:
        result = logboot.check_profile(path, environ={})
        assert result.ok and not result.warnings, (
            path,
            [str(p) for p in [*result.problems, *result.warnings]],
        )


def test_every_test_the_reliability_page_cites_exists() -> None:
    """docs/reliability.md proves each guarantee by naming a test: each named test is defined."""
    defined = {
        match.group(1)
        for path in (REPO / "tests").rglob("test_*.py")
        for match in re.finditer(r"^(?:async )?def (test_\w+)", path.read_text(encoding="utf-8"), re.M)
    }
    page = (DOCS / "reliability.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"(?:::|`)(test_\w+)\b(?!\.py)", page))
    assert cited, "the page cites no test"
    assert sorted(cited - defined) == []
