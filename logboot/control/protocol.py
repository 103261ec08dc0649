"""The control protocol: one JSON object a line, requests and replies, as pure functions.

A request is one line of UTF-8 JSON, at most ``MAX_REQUEST`` bytes with its newline::

    {"v": 1, "cmd": "set-level", "args": {"logger": "app.db", "level": "DEBUG", "for": "10m"}}

and its reply one line too::

    {"v": 1, "ok": true, "result": {...}}
    {"v": 1, "ok": false, "error": "unknown command 'shutdown'; expected one of ..."}

``args`` may be left out when a command takes none. A connection may carry several
requests, each answered in order. What the protocol will never carry: code, a profile, a
path to read, a class to import. Its arguments are strings and numbers, checked here
against ``COMMANDS`` before anything is done; the service reads their meaning (a level
name, a duration) with the parsers a profile uses. A request that is not valid JSON, not
an object, of another version, an unknown command or argument, or of the wrong type is
answered with an error (``ProtocolError``); the connection stays usable. A request over
``MAX_REQUEST`` bytes is answered with an error and the connection closed (its end cannot
be found safely). JSON's ``NaN``/``Infinity``, duplicate keys and nesting are refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

#: The protocol version this module speaks; a request of another version gets an error reply.
VERSION = 1
#: The longest request line, newline included (64 KiB); a longer one is answered and closed.
MAX_REQUEST = 64 * 1024
#: The longest reply a client reads (a status of a large topology stays far below it).
MAX_REPLY = 16 * 1024 * 1024
#: The longest logger name ``set-level`` accepts.
MAX_LOGGER_NAME = 256

_TEXT = "a string"
_LEVEL = "a level name or number"
_DURATION = "a duration (seconds, or a string such as 500ms, 30s, 10m)"

#: Each command and its arguments: name -> (what it must be, required).
COMMANDS: Mapping[str, Mapping[str, tuple[str, bool]]] = {
    "status": {},
    "levels": {},
    "set-level": {"logger": (_TEXT, True), "level": (_LEVEL, True), "for": (_DURATION, False)},
    "reload": {},
    "flush": {"timeout": (_DURATION, False)},
}


class ProtocolError(ValueError):
    """A request or reply that breaks the protocol; its text is the error reply's ``error``."""


class Request(NamedTuple):
    """A decoded request: a known command and its checked arguments."""

    cmd: str
    args: dict[str, Any]


class Reply(NamedTuple):
    """A decoded reply: ``ok`` with a ``result``, or not ``ok`` with an ``error``."""

    ok: bool
    result: Any
    error: str | None


def _refuse_constant(name: str) -> Any:
    raise ProtocolError(f"{name} is not a number JSON allows")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ProtocolError(f"the key {key!r} appears twice")
        result[key] = value
    return result


def _loads(line: bytes | str, limit: int) -> Any:
    if len(line) > limit:
        raise ProtocolError(f"a line of {len(line)} bytes is over the limit of {limit}")
    try:
        text = line.decode("utf-8") if isinstance(line, bytes) else line
        return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        raise ProtocolError("not UTF-8 text") from None
    except RecursionError:
        raise ProtocolError("nested too deeply") from None
    except json.JSONDecodeError as err:
        raise ProtocolError(f"not valid JSON: {err.msg} at column {err.colno}") from None


def _shown_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value),
        "an object" if isinstance(value, dict) else "an array" if isinstance(value, list) else "?",
    )


def _fits(kind: str, value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if kind == _TEXT:
        return isinstance(value, str)
    if kind == _LEVEL:
        return isinstance(value, (str, int))
    return isinstance(value, (str, int, float))  # a duration


def check_arguments(cmd: str, args: Any) -> dict[str, Any]:
    """``args`` of ``cmd`` checked against ``COMMANDS``: known names, right types, the required ones."""
    expected = COMMANDS[cmd]
    if not isinstance(args, dict):
        raise ProtocolError(f"'args' must be an object, got {_shown_type(args)}")
    unknown = sorted(set(args) - set(expected))
    if unknown:
        known = ", ".join(map(repr, expected)) or "none"
        raise ProtocolError(f"{cmd}: unknown argument {unknown[0]!r} (it takes {known})")
    for name, (kind, required) in expected.items():
        if name not in args:
            if required:
                raise ProtocolError(f"{cmd}: the argument {name!r} is required ({kind})")
            continue
        value = args[name]
        if value is None and not required:
            continue
        if not _fits(kind, value):
            raise ProtocolError(f"{cmd}: {name!r} must be {kind}, got {_shown_type(value)}")
    return dict(args)


def decode_request(line: bytes | str) -> Request:
    """The request on ``line`` (without or with its newline); ``ProtocolError`` says what is wrong."""
    data = _loads(line, MAX_REQUEST)
    if not isinstance(data, dict):
        raise ProtocolError(
            f'expected a JSON object such as {{"v": 1, "cmd": "status"}}, got {_shown_type(data)}'
        )
    version = data.get("v")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ProtocolError(f"'v' must be the protocol version, the number {VERSION}")
    if version != VERSION:
        raise ProtocolError(f"unsupported protocol version {version}; this service speaks version {VERSION}")
    unknown = sorted(set(data) - {"v", "cmd", "args"})
    if unknown:
        raise ProtocolError(f"unknown key {unknown[0]!r} (a request has 'v', 'cmd' and 'args')")
    cmd = data.get("cmd")
    if not isinstance(cmd, str):
        raise ProtocolError(f"'cmd' must be a string, got {_shown_type(cmd)}")
    if cmd not in COMMANDS:
        raise ProtocolError(f"unknown command {cmd[:64]!r}; expected one of {', '.join(COMMANDS)}")
    return Request(cmd, check_arguments(cmd, data.get("args", {})))


def encode_request(cmd: str, args: Mapping[str, Any] | None = None) -> bytes:
    """One request line; ``ProtocolError`` for a command or arguments the service would refuse."""
    if cmd not in COMMANDS:
        raise ProtocolError(f"unknown command {cmd!r}; expected one of {', '.join(COMMANDS)}")
    checked = check_arguments(cmd, dict(args or {}))
    line = _dumps({"v": VERSION, "cmd": cmd, "args": checked})
    if len(line) > MAX_REQUEST:
        raise ProtocolError(f"the request has {len(line)} bytes, over the limit of {MAX_REQUEST}")
    return line


def _dumps(data: dict[str, Any]) -> bytes:
    # default=str: counters are plain data, but a value of a custom sink's stats may not be.
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str)
    return text.encode("utf-8") + b"\n"


def encode_result(result: Any) -> bytes:
    """A success reply line."""
    return _dumps({"v": VERSION, "ok": True, "result": result})


def encode_error(message: str) -> bytes:
    """An error reply line."""
    return _dumps({"v": VERSION, "ok": False, "error": message})


def decode_reply(line: bytes | str) -> Reply:
    """The reply on ``line``; ``ProtocolError`` when it is not one."""
    data = _loads(line, MAX_REPLY)
    if not isinstance(data, dict) or data.get("v") != VERSION or not isinstance(data.get("ok"), bool):
        raise ProtocolError(f"not a reply of control protocol version {VERSION}")
    if data["ok"]:
        return Reply(True, data.get("result"), None)
    error = data.get("error")
    return Reply(False, None, error if isinstance(error, str) else "the service gave no reason")


__all__ = [
    "COMMANDS",
    "MAX_LOGGER_NAME",
    "MAX_REPLY",
    "MAX_REQUEST",
    "VERSION",
    "ProtocolError",
    "Reply",
    "Request",
    "check_arguments",
    "decode_reply",
    "decode_request",
    "encode_error",
    "encode_request",
    "encode_result",
]
