"""The profile keys of ``control:``: the socket ``logboot ctl`` talks to a running service through."""

from __future__ import annotations

from pydantic import Field, field_validator

from logboot.values.control_paths import DEFAULT_KEYWORD, DEFAULT_TEMPLATE, template_problem
from logboot.values.fields import Spec


class ControlSpec(Spec):
    """Runtime control: a Unix socket, 0600, that answers only the user the service runs as."""

    socket: str | None = Field(
        default=None,
        strict=True,
        description=(
            "The control socket's path: absolute, at most 107 bytes (`${VAR}` works, as anywhere in a "
            "profile). `{pid}` in it is each process's own pid, so a parent and its children each serve "
            f"one; `{DEFAULT_KEYWORD}` is `{DEFAULT_TEMPLATE}` (`/tmp/logboot-<uid>/{{pid}}.sock` without "
            "XDG_RUNTIME_DIR), the path `logboot ctl --pid PID` looks at. Unset: no socket, no thread."
        ),
        examples=["${XDG_RUNTIME_DIR}/myapp/{pid}.sock", DEFAULT_KEYWORD, "/run/myapp/logboot.sock"],
    )

    @field_validator("socket")
    @classmethod
    def _check_socket(cls, value: str | None) -> str | None:
        if value is not None:
            problem = template_problem(value)
            if problem is not None:
                raise ValueError(problem)
        return value


__all__ = ["ControlSpec"]
