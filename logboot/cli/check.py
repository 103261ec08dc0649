"""``logboot check``: every problem of each profile, as text for people or JSON for tools.

Each file is checked on its own (``check_path``): one that cannot be read or trips a bug becomes
that file's ``failure`` and the next file is still checked. The exit status is the worst outcome.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from logboot.cli.common import (
    DebugOption,
    ExtendsRootOption,
    Format,
    FormatOption,
    SetOption,
    examples,
    wants_debug,
)
from logboot.cli.output import console, display_path, plural, print_problems, shown, write_json
from logboot.cli.paths import unreadable_reason
from logboot.errors import LogbootError, Problem
from logboot.profile.loading import check_profile
from logboot.profile.preflight import check_startup
from logboot.profile.reading import ProfileNotFoundError

#: Version of the JSON document ``check --format json`` prints.
REPORT_VERSION = 1

EPILOG = examples(
    "logboot check logboot.yaml",
    "logboot check --strict configs/*.yaml",
    "logboot check --format json configs/*.yaml > report.json",
    "logboot check --reachable configs/syslog.yaml",
    "logboot check logboot.yaml --set root.level=DEBUG --set queues.main.max_size=100",
    before="Exit status: 0 when every profile is valid, 1 when any is invalid,\n"
    "2 for a usage error (a file that is missing or cannot be read, an unknown option).\n"
    "Every file is checked, whatever happened to the ones before it.\n\n",
)


def check(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(help="Profiles to check.", metavar="PATH", readable=False),
    ],
    output_format: FormatOption = Format.text,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Fail on warnings too (unused sinks, unbounded queues, ...)."),
    ] = False,
    reachable: Annotated[
        bool,
        typer.Option(
            "--reachable",
            help="Also connect to each syslog/OTLP receiver and warn about one that is down.",
        ),
    ] = False,
    overrides: SetOption = None,
    extends_roots: ExtendsRootOption = None,
    debug: DebugOption = False,
) -> None:
    """Validate profiles and what they need at start-up; print every problem with its place.

    Beyond the schema: a log folder that cannot be created or written, a missing optional package,
    and with --reachable a remote receiver that does not answer. Nothing is created while checking.
    """
    debugging = wants_debug(ctx, debug)
    reports = [
        check_path(path, overrides, reachable=reachable, extends_roots=extends_roots) for path in paths
    ]
    failed = any(report.failed(strict) for report in reports)
    stderr = console()
    for report in reports:
        if report.failure is not None:
            _print_failure(report, debugging, stderr)
        elif output_format is Format.text:
            print_problems(report.problems(), stderr)
    if output_format is Format.json:
        write_json(report_document(reports, strict))
    else:
        stderr.print(Text(summary(reports, strict), style="red" if failed else "green"))
    if not debugging and any(report.internal for report in reports):
        stderr.print(Text("(run again with --debug to see the traceback)", style="red"))
    raise typer.Exit(2 if any(report.usage for report in reports) else 1 if failed else 0)


def _print_failure(report: FileReport, debug: bool, stderr: Console) -> None:
    """The one line of a file that could not be checked (after its traceback, with --debug)."""
    cause = report.cause
    if debug and cause is not None:
        stderr.file.write("".join(traceback.format_exception(type(cause), cause, cause.__traceback__)))
    stderr.print(Text(f"logboot: error: {report.failure}", style="red"))


# --- checking one file ----------------------------------------------------------------


@dataclass
class FileReport:
    """The outcome of checking one profile: its problems, or why it could not be checked.

    ``failure`` is one line (a file that cannot be read, a bug met while checking it); ``usage``
    says it is a usage error (exit 2); ``cause`` is the exception behind it, for ``--debug``.
    """

    file: str
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    failure: str | None = None
    usage: bool = False
    internal: bool = False
    cause: BaseException | None = None

    def failed(self, strict: bool) -> bool:
        return bool(self.failure or self.errors or (strict and self.warnings))

    def error_count(self) -> int:
        """The located errors, plus one for a file that could not be checked."""
        return len(self.errors) + (self.failure is not None)

    def problems(self) -> list[Problem]:
        """Errors and warnings together, in the order of the file."""
        return sorted([*self.errors, *self.warnings], key=Problem.sort_key)

    def to_dict(self, strict: bool) -> dict[str, Any]:
        """The file's entry in the JSON document; ``error`` only when the file could not be checked."""
        entry: dict[str, Any] = {"file": self.file, "valid": not self.failed(strict)}
        if self.failure is not None:
            entry["error"] = self.failure
        entry.update(
            errors=self.error_count(),
            warnings=len(self.warnings),
            problems=[_problem_dict(p) for p in self.problems()],
        )
        return entry


def check_path(
    path: Path,
    overrides: list[str] | None = None,
    *,
    reachable: bool = False,
    extends_roots: list[Path] | None = None,
) -> FileReport:
    """``check_file``, but whatever goes wrong becomes this file's ``failure``, never an exception:
    ``check`` reports it and goes on to the next file."""
    name = display_path(str(path))
    reason = unreadable_reason(path)
    if reason is not None:
        return FileReport(name, failure=reason, usage=True)
    try:
        return check_file(path, overrides, reachable=reachable, extends_roots=extends_roots)
    except ProfileNotFoundError as err:  # removed since it was looked at
        return FileReport(name, failure=str(err), usage=True, cause=err)
    except (LogbootError, OSError) as err:
        return FileReport(name, failure=f"{name}: {err}", cause=err)
    except Exception as err:  # noqa: BLE001 - a bug in logboot: report it for this file, check the next
        failure = f"{name}: internal error: {type(err).__name__}: {err}"
        return FileReport(name, failure=failure, internal=True, cause=err)


def check_file(
    path: Path,
    overrides: list[str] | None = None,
    *,
    reachable: bool = False,
    extends_roots: list[Path] | None = None,
) -> FileReport:
    """Validate one profile (with ``--set`` overrides), then what would fail at start-up
    (with ``reachable``, also whether each remote sink's receiver answers now).

    A missing file raises ``ProfileNotFoundError``: the caller treats it as a usage error.
    """
    validation = check_profile(path, overrides=overrides or None, extends_roots=extends_roots)
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
    errors = sum(r.error_count() for r in reports)
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
            "errors": sum(r.error_count() for r in reports),
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
