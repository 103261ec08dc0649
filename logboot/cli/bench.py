"""``logboot bench``: a synthetic load through the user's own profile, to size its queues.

The engine is ``logboot.testing.bench.run_bench``; this module reads the options, draws a progress
bar on stderr (only on a terminal, and never with ``--format json``) and prints the figures
on stdout: a table for people, or one JSON document for tools.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from logboot.cli.common import (
    DebugOption,
    ExtendsRootOption,
    Format,
    FormatOption,
    SetOption,
    examples,
    existing_file,
    exit_invalid,
    failures,
    wants_debug,
)
from logboot.cli.output import console, display_path, number_table, plural, wants_color
from logboot.cli.paths import os_reason
from logboot.errors import ProfileError
from logboot.profile.loading import check_profile
from logboot.profile.schema import Profile
from logboot.testing.bench import BenchResult, run_bench

#: Version of the JSON document ``bench --format json`` prints.
REPORT_VERSION = 1

EPILOG = examples(
    "logboot bench logboot.yaml",
    "logboot bench logboot.yaml --records 1000000 --threads 8",
    "logboot bench logboot.yaml --set queues.main.max_size=50000",
    "logboot bench logboot.yaml --processes 4 --set queues.main.kind=process",
    "logboot bench logboot.yaml --format json > bench.json",
    before="Unless --real-sinks is given, no record reaches the profile's destinations:\n"
    "file sinks write into a temporary folder (or --sink-dir); console, network\n"
    "and custom sinks become files there, with the same level and formatter.\n"
    "Exit status: 0 when the bench ran, 1 for an invalid profile or a bench that\n"
    "cannot measure anything, 2 for a usage error (a missing file, --records 0).\n\n",
)


def _sink_dir(path: Path | None) -> Path | None:
    """A usage error for a --sink-dir that is a file or holds files already (exit 2)."""
    if path is None:
        return None
    try:
        if path.exists() and not path.is_dir():
            raise typer.BadParameter(f"{str(path)!r} is not a folder")
        if path.is_dir() and any(path.iterdir()):
            raise typer.BadParameter(f"{str(path)!r} is not empty; choose a new or empty folder")
    except OSError as err:  # a folder it cannot search, a name too long
        raise typer.BadParameter(os_reason(err, path, "folder")) from err
    return path


def bench(
    ctx: typer.Context,
    profile: Annotated[
        Path,
        typer.Argument(
            help="The profile to load.", metavar="PROFILE", callback=existing_file, readable=False
        ),
    ],
    records: Annotated[
        int, typer.Option("--records", "-n", help="Records to log in all.", metavar="N", min=1)
    ] = 100_000,
    threads: Annotated[
        int, typer.Option("--threads", "-t", help="Producer threads (in each process).", metavar="T", min=1)
    ] = 1,
    processes: Annotated[
        int,
        typer.Option(
            "--processes",
            "-p",
            help="Child processes that log, attached to a `kind: process` queue (0: log from here).",
            metavar="P",
            min=0,
        ),
    ] = 0,
    real_sinks: Annotated[
        bool, typer.Option("--real-sinks", help="Write where the profile says, instead of redirecting.")
    ] = False,
    sink_dir: Annotated[
        Path | None,
        typer.Option(
            "--sink-dir",
            help="Redirect the sinks into DIR (new or empty; kept) instead of a temporary folder.",
            metavar="DIR",
            callback=_sink_dir,
            readable=False,
        ),
    ] = None,
    output_format: FormatOption = Format.text,
    overrides: SetOption = None,
    extends_roots: ExtendsRootOption = None,
    debug: DebugOption = False,
) -> None:
    """Log a synthetic load through the profile; print records/s, latency, drops and queue depth."""
    if processes and records < processes:
        raise typer.BadParameter(
            f"{records} is fewer than --processes {processes}; log at least one record per process",
            param_hint="'--records'",
        )
    if real_sinks and sink_dir is not None:
        raise typer.BadParameter(
            "--sink-dir redirects the sinks, --real-sinks does not; give one of them",
            param_hint="'--sink-dir'",
        )
    debugging = wants_debug(ctx, debug)
    stderr = console()
    name = display_path(str(profile))
    with failures(debugging):
        validation = check_profile(profile, overrides=overrides or None, extends_roots=extends_roots)
    if validation.profile is None:
        exit_invalid(validation.problems, name, "bench")
    if processes and records % processes:
        logged = records - records % processes
        note = (
            f"note: {records:,} records do not split evenly among {processes} processes; logging {logged:,}"
        )
        stderr.print(Text(note))
    outcome: BenchResult | ProfileError
    with failures(debugging), _progress(output_format, records) as progress:
        try:
            outcome = run_bench(
                validation.profile,
                records=records,
                threads=threads,
                processes=processes,
                real_sinks=real_sinks,
                sink_folder=sink_dir,
                progress=progress,
            )
        except ProfileError as err:  # $LOGBOOT_LEVEL is applied over the profile there
            outcome = err
    if isinstance(outcome, ProfileError):
        exit_invalid(outcome.problems, name, "bench")
    result = outcome
    if output_format is Format.json:
        sys.stdout.write(
            json.dumps(bench_document(name, result), indent=2, ensure_ascii=False, default=str) + "\n"
        )
    else:
        report = _report(name, validation.profile, result, real_sinks=real_sinks, kept=sink_dir is not None)
        _print_trimmed(report)
    if not result.clean:
        stderr.print(
            Text(
                "warning: the queues were not drained within shutdown.timeout; "
                "the records left behind are counted as dropped",
                style="yellow",
            )
        )


def stderr_is_terminal() -> bool:
    """Whether a progress bar may be drawn: stderr is a terminal (not a pipe, not a file)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def _progress(output_format: Format, records: int) -> Iterator[Any]:
    """The engine's progress callback drawing a bar on stderr; None off a terminal or for JSON."""
    if output_format is Format.json or not stderr_is_terminal():
        yield None
        return
    color = wants_color(sys.stderr)
    bar_console = Console(
        file=sys.stderr, force_terminal=True, color_system="standard" if color else None, no_color=not color
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=bar_console, transient=True) as bar:
        task = bar.add_task("logging", total=records)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


# --- output ---------------------------------------------------------------------------------


def bench_document(name: str, result: BenchResult) -> dict[str, Any]:
    """The JSON document of ``bench --format json``: the BenchResult's fields and records/s."""
    return {
        "version": REPORT_VERSION,
        "profile": name,
        **dataclasses.asdict(result),
        "records_per_second": result.records_per_second,
    }


def _print_trimmed(renderable: Group) -> None:
    """Print on stdout without the spaces rich pads table rows with at their end."""
    out = console(sys.stdout)
    with out.capture() as captured:
        out.print(renderable, soft_wrap=False)
    lines = (_TRAILING_SPACES.sub(r"\1", line) for line in captured.get().splitlines())
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()


_TRAILING_SPACES = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$")  # before any closing colour codes


def _report(name: str, profile: Profile, result: BenchResult, *, real_sinks: bool, kept: bool) -> Group:
    """Two header lines, the figures, then one table of queues and one of sinks."""
    return Group(
        Text(f"logboot bench {name}: {_load(result)}"),
        Text(_where(result, real_sinks, kept)),
        Text(""),
        _figures(result),
        Text(""),
        _queues(result),
        Text(""),
        _sinks(profile, result),
    )


def _load(result: BenchResult) -> str:
    threads = plural(result.threads, "thread")
    if result.processes:
        children = "1 child process" if result.processes == 1 else f"{result.processes} child processes"
        return f"{result.records:,} records from {threads} in each of {children}"
    return f"{result.records:,} records from {threads}"


def _where(result: BenchResult, real_sinks: bool, kept: bool) -> str:
    """Where the records went: the profile's own sinks, or the folder they were redirected to."""
    if real_sinks:
        return "real sinks: records went where the profile says"
    if not result.redirected:
        return "no sink to redirect (null sinks only)"
    folder = ", ".join(sorted({display_path(str(Path(path).parent)) for path in result.redirected.values()}))
    return f"sinks redirected to {folder}" + ("" if kept else " (removed afterwards)")


def _figures(result: BenchResult) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_column(style="dim")
    us = _microseconds()
    rows = [
        ("records/s", f"{result.records_per_second:,.0f}", "until every record was written"),
        ("records", f"{result.records:,}", ""),
        ("handled", f"{result.handled:,}", ""),
        ("dropped", f"{result.dropped:,}", ""),
        *([("shed", f"{result.shed:,}", "of dropped: below a queue's shed_below")] if _sheds(result) else []),
        *_throttle_row(result),
        ("producer p50", f"{result.latency_p50_us:,.1f} {us}", "one logging call"),
        ("producer p99", f"{result.latency_p99_us:,.1f} {us}", ""),
        ("producer max", f"{result.latency_max_us:,.1f} {us}", ""),
        ("peak queue depth", f"{result.peak_queue_depth:,}", "the most records one queue held"),
        ("elapsed", f"{result.seconds:.3f} s", f"producers done after {result.producer_seconds:.3f} s"),
    ]
    if result.redirected:
        rows.append(("written", f"{result.bytes_written:,} B", "in the redirected files"))
    for row in rows:
        table.add_row(*row)
    return table


def _microseconds() -> str:
    """``µs``, or ``us`` where stdout cannot encode it."""
    try:
        "µs".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "us"
    return "µs"


def _throttle_row(result: BenchResult) -> list[tuple[str, str, str]]:
    """``throttled`` (not counted in dropped), for a profile with a throttle filter."""
    if result.throttled is None:
        return []
    return [("throttled", f"{result.throttled:,}", "by throttle filters, before any queue or in a sink")]


def _sheds(result: BenchResult) -> bool:
    return any(stats.get("shed_below") is not None for stats in result.queues.values())


def _queues(result: BenchResult) -> Table:
    shedding = _sheds(result)
    columns = ("queue<", "kind<", "handled", "dropped", *(("shed",) if shedding else ()), "peak / max_size")
    table = number_table(*columns, "overflow<")
    for name, stats in result.queues.items():
        max_size = stats.get("max_size", 0)
        peak = f"{stats.get('peak', 0):,} / {f'{max_size:,}' if max_size else 'unbounded'}"
        table.add_row(
            name,
            str(stats.get("kind", "")),
            f"{stats.get('handled', 0):,}",
            f"{stats.get('dropped', 0):,}",
            *((f"{stats.get('shed', 0):,}",) if shedding else ()),
            peak,
            str(stats.get("overflow", "")),
        )
    return table


def _sinks(profile: Profile, result: BenchResult) -> Table:
    table = number_table("sink<", "type<", "records", "errors", "wrote to<")
    for name, stats in result.sinks.items():
        spec = profile.sinks.get(name)
        kind = spec.type if spec is not None else str(stats.get("type", ""))
        if name in result.redirected:
            target = result.redirected[name]
        elif kind == "null":
            target = "(discarded)"
        else:
            target = "(as in the profile)"
        table.add_row(name, kind, f"{stats.get('records', 0):,}", f"{stats.get('errors', 0):,}", target)
    return table
