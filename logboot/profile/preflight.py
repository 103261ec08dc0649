"""Start-up checks beyond the schema: what ``setup_logging`` would trip over, found early.

``logboot check`` runs these on a valid profile: a log file whose folder cannot be
created or written, a sink type whose optional package is not installed, and (as a
warning) an unbounded queue. Nothing is created, opened or imported from the profile:
the file system is only inspected, and relative paths are taken from the current folder,
as ``setup_logging`` takes them. Only when asked (``check --reachable``) does it open a
connection to each remote sink's receiver, to warn about one that is down.
"""

from __future__ import annotations

import os
from pathlib import Path

from logboot.errors import Problem
from logboot.profile.reachability import receiver_of, unreachable
from logboot.profile.reading import Document
from logboot.profile.schema import Profile
from logboot.sinks import missing_dependency


def check_startup(
    profile: Profile, doc: Document, *, reachable: bool = False
) -> tuple[list[Problem], list[Problem]]:
    """Errors and warnings about what would fail or misbehave when the profile starts.

    ``reachable``: also try to connect to each remote sink's receiver; one that cannot be
    reached is a warning (the sink would start anyway and buffer), never an error.
    """
    errors: list[Problem] = []
    warnings: list[Problem] = []
    if reachable:
        warnings.extend(_unreachable_receivers(profile, doc))
    for name, spec in profile.sinks.items():
        missing = missing_dependency(spec.type)
        if missing is not None:
            module, extra = missing
            errors.append(
                doc.problem(
                    ("sinks", name, "type"),
                    f"sink type {spec.type!r} needs the package {module!r}, which is not installed; "
                    f"install it with: pip install 'logboot[{extra}]'",
                )
            )
        path = getattr(spec, "path", None)
        if isinstance(path, str) and path:
            rotates = hasattr(spec, "backup_count")
            message = file_problem(Path(path), rotates=rotates)
            if message is not None:
                errors.append(doc.problem(("sinks", name, "path"), message))
    for name, queue in profile.queues.items():
        if queue.max_size == 0:
            problem = doc.problem(
                ("queues", name, "max_size"),
                "the queue is unbounded (max_size: 0): if a sink stalls, records pile up in memory "
                "without limit; set a bound such as `max_size: 10000`",
                at_key=True,
            )
            warnings.append(problem._replace(severity="warning"))
    return errors, warnings


def _unreachable_receivers(profile: Profile, doc: Document) -> list[Problem]:
    found = []
    for name, spec in profile.sinks.items():
        receiver = receiver_of(spec)
        reason = unreachable(spec)
        if receiver is not None and reason is not None:
            problem = doc.problem(("sinks", name, receiver.key), f"receiver not reachable now: {reason}")
            found.append(problem._replace(severity="warning"))
    return found


def file_problem(path: Path, *, rotates: bool = False) -> str | None:
    """Why a log file at ``path`` could not be opened for appending, or ``None``.

    ``rotates``: the sink renames the file, so its folder must be writable as well.
    """
    shown = repr(str(path))
    if path.is_symlink():
        return (
            f"{shown} is a symlink, and logboot refuses to open a log file through one "
            "(it could redirect writes to another file); point `path` at the file itself"
        )
    if path.exists():
        if not path.is_file():
            return f"{shown} exists and is not a regular file; choose a file path"
        if not os.access(path, os.W_OK):
            return (
                f"the log file {shown} is not writable by this user; "
                "fix its permissions or choose another path"
            )
        if rotates and not _writable_folder(path.parent):
            return (
                f"the folder {str(path.parent)!r} is not writable by this user, so {shown} "
                "cannot be rotated; fix its permissions or choose another path"
            )
        return None
    folder = path.parent
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return (
            f"cannot create the folder {str(folder)!r} for the log file: {str(existing)!r} "
            "is not a folder; choose another path"
        )
    if not _writable_folder(existing):
        if existing == folder:
            return (
                f"cannot create the log file {shown}: the folder {str(folder)!r} is not writable "
                "by this user; fix its permissions or choose another path"
            )
        return (
            f"cannot create the folder {str(folder)!r} for the log file: {str(existing)!r} is not "
            "writable by this user; create the folder or choose another path"
        )
    return None


def _writable_folder(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)
