"""Where a control socket lives: the ``{pid}`` placeholder, the default path, the AF_UNIX limit.

One place for what both ends need: the service (``logboot.control.server``) turns the
profile's ``control.socket`` into its own path with ``socket_path``; ``logboot ctl --pid PID``
finds the same path with ``default_socket(PID)``; the profile model checks a template with
``template_problem``. Pure functions of their arguments (and of the environment given).

- ``{pid}`` in ``control.socket`` is replaced by each process's own pid, so a parent and
  its children each serve a socket of their own. Nothing else in the text is a placeholder
  (no ``str.format``: braces other than ``{pid}`` are ordinary characters).
- ``socket: default`` is the documented default, ``DEFAULT_TEMPLATE``:
  ``${XDG_RUNTIME_DIR}/logboot/{pid}.sock``, or ``/tmp/logboot-<uid>/{pid}.sock`` when
  ``$XDG_RUNTIME_DIR`` is unset or empty.
- An AF_UNIX path holds at most 107 bytes (108 with its NUL); a ``{pid}`` counts as the
  longest pid Linux hands out (7 digits, ``pid_max`` at most 4194304).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: The placeholder replaced by the process's pid.
PID_PLACEHOLDER = "{pid}"
#: ``control.socket: default`` names this path (see ``default_socket``).
DEFAULT_KEYWORD = "default"
#: The documented default, for people; ``default_socket`` computes it.
DEFAULT_TEMPLATE = "${XDG_RUNTIME_DIR}/logboot/{pid}.sock"
#: The longest path an AF_UNIX socket address holds on Linux, in bytes (sun_path is 108 with the NUL).
MAX_SOCKET_PATH = 107
#: A pid never has more digits than this on Linux (pid_max is at most 2**22).
_PID_DIGITS = 7


def default_folder(environ: Mapping[str, str] | None = None, uid: int | None = None) -> str:
    """``$XDG_RUNTIME_DIR/logboot``, else ``/tmp/logboot-<uid>`` (created 0700 by the service)."""
    env = os.environ if environ is None else environ
    runtime_dir = env.get("XDG_RUNTIME_DIR", "")
    if runtime_dir:
        return os.path.join(runtime_dir, "logboot")
    return f"/tmp/logboot-{os.getuid() if uid is None else uid}"  # noqa: S108 - a 0700 folder of ours, checked


def default_socket(pid: int, environ: Mapping[str, str] | None = None, uid: int | None = None) -> str:
    """The documented default socket of process ``pid``: ``<default_folder>/<pid>.sock``."""
    return os.path.join(default_folder(environ, uid), f"{pid}.sock")


def socket_path(template: str, pid: int | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The socket path of process ``pid`` (default: this one) for ``control.socket``'s ``template``."""
    pid = os.getpid() if pid is None else pid
    if template == DEFAULT_KEYWORD:
        return default_socket(pid, environ)
    return template.replace(PID_PLACEHOLDER, str(pid))


def per_process(template: str) -> bool:
    """Whether every process serves its own socket (the template holds ``{pid}``, or is the default)."""
    return template == DEFAULT_KEYWORD or PID_PLACEHOLDER in template


def template_problem(template: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Why ``template`` cannot name a control socket, or None: it must be an absolute path
    (after ``${VAR}`` interpolation, done when the profile is read) that fits an AF_UNIX
    address with any pid in place of ``{pid}``."""
    if template == DEFAULT_KEYWORD:
        template = os.path.join(default_folder(environ), PID_PLACEHOLDER + ".sock")
    if not template or "\0" in template:
        return "expected an absolute path, such as /run/myapp/logboot.sock"
    if not template.startswith("/"):
        example = "${XDG_RUNTIME_DIR}/myapp/{pid}.sock"
        return f"expected an absolute path (for example {example}), got {template!r}"
    if template.endswith("/") or os.path.basename(template) in {".", ".."}:
        return f"expected the path of a socket file, not of a folder, got {template!r}"
    longest = template.replace(PID_PLACEHOLDER, "9" * _PID_DIGITS)
    size = len(os.fsencode(longest))
    if size > MAX_SOCKET_PATH:
        shown = " (with a 7-digit pid for {pid})" if PID_PLACEHOLDER in template else ""
        return (
            f"a Unix socket path holds at most {MAX_SOCKET_PATH} bytes; this one has {size}{shown}: "
            "choose a shorter folder"
        )
    return None


__all__ = [
    "DEFAULT_KEYWORD",
    "DEFAULT_TEMPLATE",
    "MAX_SOCKET_PATH",
    "PID_PLACEHOLDER",
    "default_folder",
    "default_socket",
    "per_process",
    "socket_path",
    "template_problem",
]
