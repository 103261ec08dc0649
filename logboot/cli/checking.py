"""``logboot check``: every problem of each profile, as text for people or JSON for tools."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..loading import check_profile
from ..preflight import check_startup
from .output import display_path, plural, shown

#: Version of the JSON document ``check --format json`` prints.
REPORT_VERSION = 1


@dataclass
class FileReport:
    """The outcome of checking one profile."""

    file: str
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def failed(self, strict: bool) -> bool:
        return bool(self.errors or (strict and self.warnings))

    def problems(self) -> list[Problem]:
        """Errors and warnings together, in the order of the file."""
        return sorted([*self.errors, *self.warnings], key=Problem.sort_key)

    def to_dict(self, strict: bool) -> dict[str, Any]:
        return {
            "file": self.file,
            "valid": not self.failed(strict),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [_problem_dict(p) for p in self.problems()],
        }


def check_file(path: Path, overrides: list[str] | None = None, *, reachable: bool = False) -> FileReport:
    """Validate one profile (with ``--set`` overrides), then what would fail at start-up
    (with ``reachable``, also whether each remote sink's receiver answers now).

    A missing file raises ``ProfileNotFoundError``: the caller treats it as a usage error.
    """
    validation = check_profile(path, overrides=overrides or None)
    errors = list(validation.problems)
    warnings = list(validation.warnings)
    if validation.profile is not None and validation.document is not None:
        startup_errors, startup_warnings = check_startup(
            validation.profile, validation.document, reachable=reachable
        )
        errors.extend(startup_errors)
        warnings.extend(startup_warnings)
    return FileReport(
        display_path(str(path)),
        [shown(p) for p in errors],
        [shown(p) for p in warnings],
    )


def summary(reports: list[FileReport], strict: bool) -> str:
    """One line: how many profiles were checked and how they fared."""
    errors = sum(len(r.errors) for r in reports)
    warnings = sum(len(r.warnings) for r in reports)
    failed = sum(r.failed(strict) for r in reports)
    checked = f"Checked {plural(len(reports), 'profile')}"
    if not failed:
        verdict = "all valid" if len(reports) > 1 else "valid"
        return f"{checked}: {verdict}" + (f" ({plural(warnings, 'warning')})." if warnings else ".")
    counts = f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
    why = "; warnings fail with --strict" if strict and warnings else ""
    return f"{checked}: {failed} invalid ({counts}{why})."


def report_document(reports: list[FileReport], strict: bool) -> dict[str, Any]:
    """The JSON document of ``check --format json``."""
    return {
        "version": REPORT_VERSION,
        "valid": not any(r.failed(strict) for r in reports),
        "strict": strict,
        "summary": {
            "profiles": len(reports),
            "invalid": sum(r.failed(strict) for r in reports),
            "errors": sum(len(r.errors) for r in reports),
            "warnings": sum(len(r.warnings) for r in reports),
        },
        "profiles": [r.to_dict(strict) for r in reports],
    }


def _problem_dict(problem: Problem) -> dict[str, Any]:
    return {
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "path": problem.path,
        "severity": problem.severity,
        "message": problem.message,
        "text": str(problem),
    }
