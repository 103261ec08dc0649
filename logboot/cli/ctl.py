"""``logboot ctl``: operate a running service through its control socket (``control.socket``).

A group of sub-commands, built by ``create_app`` from ``SUBCOMMANDS`` (this module registers
nothing by being imported). Exit codes: 0 when all is well; 1 when the service answered
with an error (an unknown logger level, a reload that failed, a flush that did not drain in
time); 2 for a usage error or a service that cannot be reached (no such socket, nobody
serving it, permission denied, another user's socket, no reply in time). Each error is one
line on stderr, its traceback only with --debug.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple, NoReturn, Optional

import typer

from logboot.cli.common import DebugOption, Format, FormatOption, examples, fail, wants_debug
from logboot.cli.output import console, epilog_text, help_settings, number_table, write_json
from logboot.control.client import ConnectError, ServiceError, request
from logboot.control.protocol import ProtocolError
from logboot.control.server import MAX_FLUSH
from logboot.values.control_paths import DEFAULT_TEMPLATE, default_socket
from logboot.values.units import parse_duration

#: The environment variable ``--socket`` falls back to.
SOCKET_ENV = "LOGBOOT_CTL_SOCKET"

HELP = (
    "Operate a running service through its control socket (control.socket in its profile):\n"
    "status and counters, logger levels (for a while, if you like), reload, flush."
)
EPILOG = examples(
    "logboot ctl --pid 4242 status",
    "logboot ctl --socket /run/myapp/logboot.sock levels --format json",
    "logboot ctl --pid 4242 set-level app.db DEBUG --for 10m",
    "logboot ctl --pid 4242 reload",
    before=f"--pid PID finds the documented default socket of PID: {DEFAULT_TEMPLATE}\n"
    "(/tmp/logboot-<uid>/<pid>.sock when XDG_RUNTIME_DIR is unset).\n\n",
)


class Target(NamedTuple):
    """Where and how long to ask: what the group's options say to every sub-command."""

    path: str | None
    timeout: float
    debug: bool
    problem: str | None  # a usage error found in the group's options, reported by the sub-command


def _group(
    ctx: typer.Context,
    socket_path: Annotated[
        Optional[str],  # noqa: UP045 - typer reads `X | None` only from Python 3.11
        typer.Option(
            "--socket",
            "-s",
            help=f"The service's control socket (its control.socket); also ${SOCKET_ENV}.",
            metavar="PATH",
            envvar=SOCKET_ENV,
            show_envvar=False,
        ),
    ] = None,
    pid: Annotated[
        Optional[int],  # noqa: UP045 - as above
        typer.Option("--pid", "-p", help="The service's pid: its socket at the default path.", metavar="PID"),
    ] = None,
    timeout: Annotated[
        str,
        typer.Option(
            "--timeout", help="Wait at most this long for a reply (2, 500ms, 10s).", metavar="DURATION"
        ),
    ] = "5s",
    debug: DebugOption = False,
) -> None:
    problem = None
    path = socket_path
    if socket_path is not None and pid is not None:
        problem = "give --socket PATH or --pid PID, not both"
    elif pid is not None:
        path = default_socket(pid) if pid > 0 else None
        problem = None if pid > 0 else f"--pid: expected a process id, got {pid}"
    elif socket_path is None:
        problem = f"which service? give --socket PATH (or ${SOCKET_ENV}) or --pid PID"
    try:
        seconds = parse_duration(timeout)
    except ValueError as err:
        problem, seconds = problem or f"--timeout: {err}", 5.0
    if seconds <= 0 and problem is None:
        problem = "--timeout: expected more than 0"
    ctx.obj = Target(path, seconds, wants_debug(ctx, debug), problem)


def _ask(ctx: typer.Context, cmd: str, args: dict[str, Any] | None = None, wait: float = 0.0) -> Any:
    target: Target = ctx.obj
    if target.problem is not None:
        _usage(target.problem, target.debug)
    assert target.path is not None
    try:
        return request(target.path, cmd, args, max(target.timeout, wait + 5.0 if wait else 0.0))
    except (ProtocolError, ConnectError) as err:
        fail(err, target.debug, code=2)
    except ServiceError as err:
        fail(err, target.debug, code=1)
    except OSError as err:  # the socket layer itself (no AF_UNIX, out of descriptors)
        fail(err, target.debug, code=2)


def _usage(message: str, debug: bool) -> NoReturn:
    fail(ValueError(message), debug, code=2)


def _out() -> Any:
    return console(sys.stdout)


# --- status -------------------------------------------------------------------------------


def status(ctx: typer.Context, output_format: FormatOption = Format.text) -> None:
    """The profile, pid, uptime, and the counters of every queue and sink (the stats() data)."""
    result = _ask(ctx, "status")
    if output_format is Format.json:
        write_json(result)
        return
    out = _out()
    profile = result.get("profile") or "(not from a file)"
    lines = [
        f"pid {result.get('pid')}"
        + (f" (child of {result['parent']})" if result.get("parent") else "")
        + f", up {_duration(result.get('uptime', 0.0))}",
        f"profile  {profile}",
        f"socket   {result.get('socket')}",
    ]
    for line in lines:
        out.print(line)
    stats = result.get("stats")
    if not result.get("running") or not isinstance(stats, dict):
        out.print("logging is not running in this process")
        return
    queues = number_table("queue<", "kind<", "enqueued", "handled", "dropped", "queued", "peak / max_size")
    for name, q in (stats.get("queues") or {}).items():
        max_size = q.get("max_size", 0)
        queues.add_row(
            name,
            str(q.get("kind", "")),
            _count(q.get("enqueued")),
            _count(q.get("handled")),
            _count(q.get("dropped")),
            _count(q.get("size")),
            f"{_count(q.get('peak'))} / {_count(max_size) if max_size else 'unbounded'}",
        )
    sinks = number_table("sink<", "type<", "records", "errors")
    for name, s in (stats.get("sinks") or {}).items():
        sinks.add_row(name, str(s.get("type", "")), _count(s.get("records")), _count(s.get("errors")))
    out.print()
    out.print(queues)
    out.print()
    out.print(sinks)


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value or 0)


def _duration(seconds: float) -> str:
    """``75.2`` -> ``1m15s``; under a minute, to the tenth."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n]
    return "".join(shown[:2])


# --- levels and set-level -----------------------------------------------------------------


def levels(ctx: typer.Context, output_format: FormatOption = Format.text) -> None:
    """Every configured logger (and any set through ctl): configured, set and effective level."""
    result = _ask(ctx, "levels")
    if output_format is Format.json:
        write_json(result)
        return
    table = number_table("logger<", "configured<", "level<", "effective<", "note<")
    for entry in result.get("loggers", []):
        note = ""
        if entry.get("expires_in") is not None:
            note = f"back to {entry.get('restores_to')} in {_duration(entry['expires_in'])}"
        elif entry.get("changed"):
            note = "set through ctl"
        table.add_row(
            entry.get("name", ""),
            entry.get("configured") or "-",
            entry.get("level", ""),
            entry.get("effective", ""),
            note,
        )
    _out().print(table)


def set_level(
    ctx: typer.Context,
    logger: Annotated[
        str, typer.Argument(help="The logger's name; 'root' for the root logger.", metavar="LOGGER")
    ],
    level: Annotated[
        str, typer.Argument(help="DEBUG, INFO, WARNING, ERROR, CRITICAL, or a number.", metavar="LEVEL")
    ],
    duration: Annotated[
        Optional[str],  # noqa: UP045 - typer reads `X | None` only from Python 3.11
        typer.Option(
            "--for",
            help="Put the level back by itself after this long (30s, 10m, 1h).",
            metavar="DURATION",
        ),
    ] = None,
    output_format: FormatOption = Format.text,
) -> None:
    """Set a logger's level now; with --for, only for a while."""
    args: dict[str, Any] = {"logger": logger, "level": int(level) if level.isdigit() else level}
    if duration is not None:
        args["for"] = duration
    result = _ask(ctx, "set-level", args)
    if output_format is Format.json:
        write_json(result)
        return
    text = f"{result['logger']}: {result['previous']} -> {result['level']} (effective {result['effective']})"
    if result.get("expires_in") is not None:
        text += f"; back to {result['restores_to']} in {_duration(result['expires_in'])}"
    _out().print(text)


# --- reload and flush ---------------------------------------------------------------------


def reload(ctx: typer.Context, output_format: FormatOption = Format.text) -> None:
    """Validate the service's profile again and swap it in (levels set through ctl go back)."""
    result = _ask(ctx, "reload")
    if output_format is Format.json:
        write_json(result)
        return
    _out().print(f"reloaded {result.get('profile') or 'the profile'}")


def flush(
    ctx: typer.Context,
    wait: Annotated[
        str,
        typer.Option(
            "--wait",
            help="How long the service waits for its queues to drain (at most 60s).",
            metavar="DURATION",
        ),
    ] = "5s",
    output_format: FormatOption = Format.text,
) -> None:
    """Wait until every record queued so far is written; exit 1 if that takes longer than --wait."""
    target: Target = ctx.obj
    try:
        seconds = parse_duration(wait)
    except ValueError as err:
        _usage(f"--wait: {err}", target.debug)
    if not 0 < seconds <= MAX_FLUSH:
        _usage(f"--wait: expected more than 0 and at most {MAX_FLUSH:g}s", target.debug)
    result = _ask(ctx, "flush", {"timeout": seconds}, wait=seconds)
    if output_format is Format.json:
        write_json(result)
    else:
        _out().print(
            f"drained in {result.get('seconds', 0):.3f}s"
            if result.get("drained")
            else f"not drained within {seconds:g}s"
        )
    if not result.get("drained"):
        if output_format is Format.json:
            raise typer.Exit(1)
        fail(ServiceError(f"records still queued after {seconds:g}s"), target.debug, code=1)


class Subcommand(NamedTuple):
    """One sub-command of ``logboot ctl``: its name and function."""

    name: str
    function: Callable[..., None]


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("status", status),
    Subcommand("levels", levels),
    Subcommand("set-level", set_level),
    Subcommand("reload", reload),
    Subcommand("flush", flush),
)


def create_app(piped: bool = False) -> typer.Typer:
    """The ``ctl`` group: its options, then every sub-command of ``SUBCOMMANDS`` (``piped``:
    plain help, as ``commands.create_app``)."""
    app = typer.Typer(
        name="ctl",
        help=HELP,
        epilog=epilog_text(EPILOG, piped),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None if piped else "rich",
        context_settings=help_settings(piped),
    )
    app.callback()(_group)
    for sub in SUBCOMMANDS:
        app.command(sub.name)(sub.function)
    return app


__all__ = ["EPILOG", "HELP", "SUBCOMMANDS", "create_app"]
