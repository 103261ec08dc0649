"""The importer behind ``import_dictconfig``: one pass over a ``dictConfig``, one profile out.

Handlers become sinks; the handlers a logger names become one thread queue and its
listener (loggers that name the same handlers share it); a 3.12+ ``QueueHandler`` entry
becomes its own queue. Anything without an equivalent is left out with a comment that
says so, beside where it would have gone.
"""

from __future__ import annotations

import logging
import re
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

from logboot.formatters.fields import RECORD_FIELDS, format_fields
from logboot.interop.dictconfig import DictConfigError, exported_profile
from logboot.profile.dumping import to_yaml
from logboot.profile.wiring import DEFAULT_QUEUE
from logboot.sinks.rfc5424 import SYSLOG_FACILITIES
from logboot.values.addresses import is_loopback

_DEFAULT_FORMATS = {"%": "%(message)s", "{": "{message}", "$": "${message}"}
_STREAMS = {
    "ext://sys.stderr": "stderr",
    "ext://sys.stdout": "stdout",
    "ext://sys.__stderr__": "stderr",
    "ext://sys.__stdout__": "stdout",
    # Flask's documented config: the WSGI server's error stream inside a request, sys.stderr
    # outside one. A listener thread is never inside a request: stderr (noted where used).
    "ext://flask.logging.wsgi_errors_stream": "stderr",
}
_TEXT_SINKS = ("console", "file", "rotating_file", "timed_rotating_file", "concurrent_rotating_file")
_CLASSES = {
    "logging.StreamHandler": "console",
    "logging.FileHandler": "file",
    "logging.handlers.WatchedFileHandler": "file",
    "logging.handlers.RotatingFileHandler": "rotating_file",
    "logging.handlers.TimedRotatingFileHandler": "timed_rotating_file",
    "logging.NullHandler": "null",
    "logging.handlers.NullHandler": "null",
    "logging.handlers.SysLogHandler": "syslog",
    "concurrent_log_handler.ConcurrentRotatingFileHandler": "concurrent_rotating_file",
    "logging.handlers.QueueHandler": "queue",
    "logging.handlers.MemoryHandler": "memory",
}
_COMMON_KEYS = {"class", "level", "formatter", "filters"}
_SYSLOG_ALIASES = {"security": "auth"}
_SECTIONS = ("formatters", "filters", "sinks", "queues", "listeners")


def _size(value: int) -> int | str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if value >= factor and value % factor == 0:
            return f"{value // factor}{unit}"
    return value


def _level(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _escape_dollars(data: Any) -> Any:
    """``$`` -> ``$$``: logboot expands ``${VAR}`` in strings, logging never did."""
    if isinstance(data, str):
        return data.replace("$", "$$")
    if isinstance(data, dict):
        return {k: _escape_dollars(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_escape_dollars(v) for v in data]
    return data


def _factory_path(dotted: str) -> str:
    module, _, attr = dotted.rpartition(".")
    return f"{module}:{attr}" if module else dotted


class Importer:
    """Collects the profile's sections, the comments beside them, and the notes."""

    def __init__(self, config: Mapping[str, Any], source: str) -> None:
        self.config = config
        self.source = source
        self.notes: list[str] = []
        self.header: list[str] = []
        self.sections: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
        self.root: dict[str, Any] = {}
        self.loggers: dict[str, Any] = {}
        self.comments: dict[tuple[str, str], list[str]] = {}
        self.leftovers: dict[str, list[list[str]]] = {}
        self.formatter_names: dict[str, str | None] = {}  # dictConfig name -> profile name (None: left out)
        self.filter_names: dict[str, str | None] = {}
        self.code_filters: dict[str, str] = {}  # a filter left out because code makes it -> its maker
        self.widened: list[tuple[tuple[str, str], str]] = []  # where a left-out code filter was used
        self.routes: dict[str, list[str] | str | None] = {}  # handler -> sinks, or a queue handler's name
        self.logger_routes: dict[str, tuple[str, ...] | str | None] = {}
        self.queue_handlers: dict[str, dict[str, Any]] = {}

    # --- bookkeeping ----------------------------------------------------------------------

    def note(self, where: tuple[str, str] | None, text: str) -> None:
        """``text`` as a comment beside ``where`` (the header if None), and as a note naming it."""
        self.notes.append(f"{'.'.join(w for w in where if w)}: {text}" if where else text)
        if where is None:
            self.header.append(text)
        else:
            self.comments.setdefault(where, []).append(text)

    def leave_out(self, section: str, name: str, text: str, suggestion: dict[str, Any] | None = None) -> None:
        """A commented block at the end of ``section``: why, and what could replace it."""
        self.notes.append(text)
        block = textwrap.wrap(text, 94)
        if suggestion is not None:
            block += to_yaml({name: suggestion}).splitlines()
        self.leftovers.setdefault(section, []).append(block)

    def section(self, key: str) -> dict[str, Any]:
        value = self.config.get(key) or {}
        if not isinstance(value, dict):
            self.note(None, f"`{key}` is not a mapping; ignored")
            return {}
        return value

    # --- the pass -------------------------------------------------------------------------

    def run(self) -> tuple[str, list[str]]:
        self.top_level()
        for name, spec in self.section("formatters").items():
            self.formatter(str(name), spec)
        for name, spec in self.section("filters").items():
            self.filter(str(name), spec)
        handlers = self.section("handlers")
        for name, spec in handlers.items():
            if isinstance(spec, dict) and _CLASSES.get(str(spec.get("class"))) in ("queue", "memory"):
                continue
            self.handler(str(name), spec)
        for name, spec in handlers.items():
            if isinstance(spec, dict) and _CLASSES.get(str(spec.get("class"))) == "memory":
                self.memory_handler(str(name), spec)
        for name, spec in handlers.items():
            if isinstance(spec, dict) and _CLASSES.get(str(spec.get("class"))) == "queue":
                self.queue_handler(str(name), spec)
        self.topology()
        return self.render(), self.notes

    def top_level(self) -> None:
        if self.config.get("incremental"):
            self.note(
                None,
                "`incremental: true` only changed the levels of an existing setup; "
                "it is imported here as a whole profile",
            )
        if self.config.get("disable_existing_loggers", True):
            self.note(
                None,
                "logging disabled the loggers that existed before dictConfig ran "
                "(disable_existing_loggers, true by default); logboot never disables a logger",
            )
        known = {"version", "incremental", "disable_existing_loggers", "formatters", "filters"}
        known |= {"handlers", "loggers", "root"}
        for key in self.config:
            if key not in known:
                self.note(None, f"top-level key {key!r} is not part of dictConfig; ignored")

    # --- formatters and filters -----------------------------------------------------------

    def formatter(self, name: str, spec: Any) -> None:
        self.formatter_names[name] = None
        if not isinstance(spec, dict):
            self.leave_out("formatters", name, f"formatter {name!r} is not a mapping; left out")
            return
        custom = spec.get("()") or (spec.get("class") if spec.get("class") != "logging.Formatter" else None)
        style = spec.get("style", "%")
        fmt = spec.get("format", spec.get("fmt") if spec.get("()") else None)
        if custom and "json" in str(custom).lower():
            self.sections["formatters"][name] = {"type": "json"}
            self.formatter_names[name] = name
            self.note(
                ("formatters", name),
                f"{custom} became logboot's JSON formatter; its keys are time, level, logger, "
                "message, ... and the record's extra keys",
            )
            return
        if style not in _DEFAULT_FORMATS:
            self.leave_out("formatters", name, f"formatter {name!r}: unknown style {style!r}; left out")
            return
        fmt = fmt if isinstance(fmt, str) else _DEFAULT_FORMATS[style]
        try:
            logging.Formatter(fmt, style=style, validate=True)
        except (ValueError, KeyError) as err:
            self.leave_out(
                "formatters", name, f"formatter {name!r}: invalid format {fmt!r} ({err}); left out"
            )
            return
        unknown = sorted(set(format_fields(fmt, style)) - RECORD_FIELDS)
        where = ("formatters", name)
        if custom and unknown:
            self.leave_out(
                "formatters",
                name,
                f"formatter {name!r} is made by {custom} and uses {', '.join(unknown)}, which only "
                "that class provides; left out: its sinks use the default text layout",
            )
            return
        if custom:
            self.note(where, f"made by {custom} in logging; a text formatter with the same format here")
        elif unknown:
            self.note(
                where, f"uses {', '.join(unknown)}: only records logged with these `extra` keys have them"
            )
        out: dict[str, Any] = {"type": "text", "style": style, "format": fmt}
        if spec.get("datefmt"):
            out["datefmt"] = spec["datefmt"]
        elif "asctime" in format_fields(fmt, style):
            self.note(
                where,
                "asctime is ISO 8601 here (2024-05-01T12:00:00.123+02:00) where logging wrote "
                "2024-05-01 12:00:00,123; set `datefmt` to choose",
            )
        if spec.get("defaults"):
            self.note(where, "`defaults` has no equivalent; records need those fields themselves")
        self.sections["formatters"][name] = out
        self.formatter_names[name] = name

    def filter(self, name: str, spec: Any) -> None:
        self.filter_names[name] = None
        if not isinstance(spec, dict):
            self.leave_out("filters", name, f"filter {name!r} is not a mapping; left out")
            return
        custom = spec.get("()") or (
            spec.get("class") if spec.get("class") not in (None, "logging.Filter") else None
        )
        if custom:
            options = {k: v for k, v in spec.items() if k not in {"()", "class", "."}}
            suggestion: dict[str, Any] = {"type": "custom", "factory": _factory_path(str(custom))}
            if options:
                suggestion["options"] = options
            self.code_filters[name] = str(custom)
            self.leave_out(
                "filters",
                name,
                f"filter {name!r} is made by {custom}, code a profile runs only when it allows it; left "
                "out, and each sink or logger that used it says what now gets through. To keep it, "
                "set `allow_custom: true` and use this custom filter:",
                suggestion,
            )
            return
        prefix = spec.get("name", "")
        if not prefix:
            return  # logging.Filter("") passes every record: nothing to keep
        self.sections["filters"][name] = {"type": "name", "prefix": str(prefix)}
        self.filter_names[name] = name

    def filter_refs(self, names: Any, where: tuple[str, str]) -> list[str]:
        kept: list[str] = []
        for ref in names if isinstance(names, list) else []:
            mapped = self.filter_names.get(str(ref))
            if mapped:
                kept.append(mapped)
            elif str(ref) in self.code_filters:
                self.widened.append((where, str(ref)))
            elif str(ref) not in self.filter_names:
                self.note(where, f"filter {ref!r} is not defined; left out")
        return kept

    # --- handlers -------------------------------------------------------------------------

    def common(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        where = ("sinks", name)
        if spec.get("level") is not None:
            out["level"] = _level(spec["level"])
        formatter = spec.get("formatter")
        if formatter is not None:
            mapped = self.formatter_names.get(str(formatter))
            if mapped:
                out["formatter"] = mapped
            else:
                self.note(where, f"formatter {formatter!r} was left out; this sink uses the default layout")
        elif "formatter" not in spec:
            out["formatter"] = self.bare_formatter()
        filters = self.filter_refs(spec.get("filters"), where)
        if filters:
            out["filters"] = filters
        if "." in spec:
            self.note(where, "attributes set with '.' have no equivalent; ignored")
        return out

    def bare_formatter(self) -> str:
        """logging's default layout is the message alone; logboot's has time and level too."""
        name = "message_only"
        self.sections["formatters"].setdefault(name, {"type": "text", "style": "%", "format": "%(message)s"})
        return name

    def handler(self, name: str, spec: Any) -> None:
        self.routes[name] = None
        if not isinstance(spec, dict):
            self.leave_out("sinks", name, f"handler {name!r} is not a mapping; left out")
            return
        cls = spec.get("class")
        kind = _CLASSES.get(str(cls)) if cls else None
        if kind is None:
            self.custom_handler(name, spec)
            return
        where = ("sinks", name)
        common = self.common(name, spec)
        out: dict[str, Any] = {"type": kind}
        used: set[str] = getattr(self, f"sink_{kind}")(name, spec, out)
        if out.get("type") is None:
            return
        for key in sorted(set(spec) - _COMMON_KEYS - used - {"."}):
            self.note(where, f"`{key}` of {cls} has no equivalent; ignored")
        if kind == "null":
            common.pop("formatter", None)
        self.sections["sinks"][name] = {**out, **common}
        self.routes[name] = [name]

    def custom_handler(self, name: str, spec: dict[str, Any]) -> None:
        maker = spec.get("()") or spec.get("class")
        suggestion: dict[str, Any] | None = None
        if isinstance(maker, str):
            options = {k: v for k, v in spec.items() if k not in _COMMON_KEYS | {"()", "."}}
            suggestion = {"type": "custom", "factory": _factory_path(maker)}
            if options:
                suggestion["options"] = options
        self.leave_out(
            "sinks",
            name,
            f"handler {name!r} ({maker}) has no logboot sink type; left out, with the loggers' "
            "references to it. To keep it, set `allow_custom: true` and use this custom sink:",
            suggestion,
        )

    def sink_console(self, name: str, spec: dict[str, Any], out: dict[str, Any]) -> set[str]:
        stream = spec.get("stream", "ext://sys.stderr")
        if stream not in _STREAMS:
            out["type"] = None
            self.leave_out(
                "sinks", name, f"handler {name!r} writes to {stream!r}; only stdout and stderr map"
            )
            return {"stream"}
        out["stream"] = _STREAMS[stream]
        if stream == "ext://flask.logging.wsgi_errors_stream":
            self.note(
                ("sinks", name),
                "Flask's wsgi_errors_stream is the WSGI server's error stream during a request and "
                "stderr otherwise; this sink writes from its listener thread, outside any request: stderr",
            )
        return {"stream"}

    def sink_file(self, name: str, spec: dict[str, Any], out: dict[str, Any]) -> set[str]:
        where = ("sinks", name)
        if "filename" not in spec:
            out["type"] = None
            self.leave_out("sinks", name, f"handler {name!r} has no `filename`; left out")
            return set()
        out["path"] = str(spec["filename"])
        if spec.get("encoding"):
            out["encoding"] = spec["encoding"]
        if spec.get("mode", "a") != "a":
            self.note(where, f"mode {spec['mode']!r}: logboot always appends, never truncates at start")
        return {"filename", "encoding", "mode", "delay", "errors"}

    def sink_rotating_file(self, name: str, spec: dict[str, Any], out: dict[str, Any]) -> set[str]:
        used = self.sink_file(name, spec, out) | {"maxBytes", "backupCount"}
        max_bytes, backups = int(spec.get("maxBytes", 0) or 0), int(spec.get("backupCount", 0) or 0)
        if out.get("type") is None:
            return used
        if max_bytes <= 0 or backups <= 0:
            out["type"] = "file"
            self.note(
                ("sinks", name),
                "logging never rolled this file over (maxBytes or backupCount 0): a plain file",
            )
            return used
        out["max_bytes"] = _size(max_bytes)
        out["backup_count"] = backups
        return used

    def sink_concurrent_rotating_file(self, name: str, spec: dict[str, Any], out: dict[str, Any]) -> set[str]:
        used = self.sink_rotating_file(name, spec, out)
        if spec.get("use_gzip") and out.get("type") == "concurrent_rotating_file":
            out["compress"] = "gzip"  # gzipped in the background rather than on the write path
        return used | {"use_gzip"}

    def sink_timed_rotating_file(self, name: str, spec: dict[str, Any], out: dict[str, Any]) -> set[str]:
        used = self.sink_file(name, spec, out) | {"when", "interval", "backupCount", "utc", "atTime"}
        if out.get("type") is None:
            return used
        where = ("sinks", name)
        when = str(spec.get("when", "h"))
        out["when"] = "midnight" if when.lower() == "midnight" else when.upper()
        out["interval"] = int(spec.get("interval", 1))
        backups = int(spec.get("backupCount", 0) or 0)
        if backups > 0:
            out["backup_count"] = backups
        else:
            out["backup_count"] = 365
            self.note(where, "backupCount 0 kept every rolled file; logboot keeps a number of them: 365 here")
        if spec.get("utc"):
            out["utc"] = True
        if spec.get("atTime") is not None:
            self.note(where, "`atTime` has no equivalent: the file rolls over at the start of the interval")
        return used

    def sink_null(self, name: str, spec: dict[str, Any], out: dict[str, Any]) -> set[str]:
        return set()

    def sink_syslog(self, name: str, spec: dict[str, Any], out: dict[str, Any]) -> set[str]:
        where = ("sinks", name)
        address = spec.get("address", ["localhost", 514])
        if isinstance(address, str):
            out["protocol"], out["address"] = "unix", address
        elif isinstance(address, (list, tuple)) and len(address) == 2:
            stream = "SOCK_STREAM" in str(spec.get("socktype", ""))
            out["protocol"], out["address"] = ("tcp" if stream else "udp"), f"{address[0]}:{address[1]}"
            if not is_loopback(str(address[0])):
                out["insecure"] = True
                self.note(
                    where,
                    "logging sent plain text to this host; `insecure: true` keeps that, `tls:` is better",
                )
        else:
            out["type"] = None
            self.leave_out("sinks", name, f"handler {name!r}: syslog address {address!r} is not understood")
            return set()
        facility = spec.get("facility", "user")
        if isinstance(facility, int) and 0 <= facility < len(SYSLOG_FACILITIES):
            facility = SYSLOG_FACILITIES[facility]
        facility = _SYSLOG_ALIASES.get(str(facility).lower(), str(facility).lower())
        if facility in SYSLOG_FACILITIES:
            out["facility"] = facility
        else:
            self.note(where, f"facility {spec.get('facility')!r} is not understood; 'user' here")
        self.note(
            where, "logboot sends RFC 5424 messages (logging sent RFC 3164): check the receiver's parser"
        )
        return {"address", "socktype", "facility"}

    def memory_handler(self, name: str, spec: dict[str, Any]) -> None:
        target = spec.get("target")
        route = self.routes.get(str(target)) if target is not None else None
        if not isinstance(route, list):
            self.routes[name] = None
            self.leave_out("sinks", name, f"MemoryHandler {name!r} has no target logboot could map; left out")
            return
        self.routes[name] = route
        self.note(
            ("sinks", route[0]),
            f"MemoryHandler {name!r} buffered records for this sink; the listener already writes in "
            "batches, so loggers that used it write here",
        )

    def queue_handler(self, name: str, spec: dict[str, Any]) -> None:
        where = ("queues", safe_name(name))
        sinks: list[str] = []
        for inner in spec.get("handlers") or []:
            route = self.routes.get(str(inner))
            if isinstance(route, list):
                sinks.extend(s for s in route if s not in sinks)
            else:
                self.note(where, f"handler {inner!r} behind QueueHandler {name!r} was left out")
        if not sinks:
            self.routes[name] = None
            self.leave_out(
                "queues", name, f"QueueHandler {name!r} has no handler logboot could map; left out"
            )
            return
        queue = dict(DEFAULT_QUEUE, max_size=0)
        qspec = spec.get("queue")
        maxsize = 0
        if isinstance(qspec, dict):
            maxsize = int(qspec.get("maxsize", 0) or 0)
        elif qspec is not None and str(qspec) not in (
            "ext://queue.Queue",
            "queue.Queue",
            "queue.SimpleQueue",
        ):
            self.note(where, f"queue {qspec!r} has no equivalent; a logboot thread queue here")
        if maxsize > 0:
            queue.update(max_size=maxsize, overflow="drop_newest")
            self.note(
                where,
                "logging dropped a record when this queue was full (one traceback each); "
                "drop_newest keeps that, counted; `overflow: block` would keep every record",
            )
        if spec.get("listener") is not None:
            self.note(where, f"listener {spec['listener']!r} has no equivalent; logboot's listener here")
        if not spec.get("respect_handler_level", False):
            levels = [s for s in sinks if "level" in self.sections["sinks"].get(s, {})]
            if levels:
                self.note(
                    where,
                    f"logging's listener ignored the levels of {', '.join(levels)} "
                    "(respect_handler_level false); logboot applies them",
                )
        filters = self.filter_refs(spec.get("filters"), where)
        if spec.get("level") is not None:
            level_filter = f"{safe_name(name)}_level"
            self.sections["filters"][level_filter] = {"type": "level", "min": _level(spec["level"])}
            filters.insert(0, level_filter)
        if filters:
            queue["filters"] = filters
        if spec.get("formatter") is not None:
            self.note(where, "a formatter on a QueueHandler has no equivalent; ignored")
        self.queue_handlers[name] = {"sinks": sinks, "queue": queue}
        self.routes[name] = name

    # --- loggers --------------------------------------------------------------------------

    def logger_specs(self) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
        root = self.config.get("root")
        loggers: dict[str, dict[str, Any]] = {}
        for name, spec in self.section("loggers").items():
            if not isinstance(spec, dict):
                self.note(None, f"logger {name!r} is not a mapping; ignored")
                continue
            if name in ("", "root"):
                root = {**(root or {}), **spec}
                continue
            loggers[str(name)] = spec
        return (root if isinstance(root, dict) else None), loggers

    def route_of(self, name: str, handlers: Any) -> tuple[str, ...] | str | None:
        """A queue handler's name, or the sinks a logger's handlers write to."""
        if name not in self.logger_routes:
            self.logger_routes[name] = self._route(name, handlers)
        return self.logger_routes[name]

    def _route(self, name: str, handlers: Any) -> tuple[str, ...] | str | None:
        refs = [str(h) for h in handlers] if isinstance(handlers, list) else []
        routes = [self.routes.get(h) for h in refs]
        for ref in refs:
            if ref not in self.routes:
                self.note(None, f"logger {name or 'root'!r} names handler {ref!r}, which is not defined")
        if len(refs) == 1 and isinstance(routes[0], str):
            return routes[0]
        sinks: list[str] = []
        for route in routes:
            names = route
            if isinstance(route, str):
                self.note(None, f"logger {name or 'root'!r} mixes QueueHandler {route!r} with other handlers")
                names = self.queue_handlers[route]["sinks"]
            for sink in names or []:
                if sink not in sinks:
                    sinks.append(sink)
        return tuple(sinks) or None

    def topology(self) -> None:
        root, loggers = self.logger_specs()
        queue_of: dict[tuple[str, ...] | str, str] = {}

        def queue_for(route: tuple[str, ...] | str, owner: str) -> str:
            if route in queue_of:
                return queue_of[route]
            base = safe_name(route if isinstance(route, str) else owner or "main")
            name, n = base, 2
            while name in self.sections["queues"]:
                name, n = f"{base}_{n}", n + 1
            if isinstance(route, str):
                spec = self.queue_handlers[route]
                sinks, queue = spec["sinks"], spec["queue"]
            else:
                sinks, queue = list(route), dict(DEFAULT_QUEUE)
            self.sections["queues"][name] = queue
            self.sections["listeners"][name] = {"queue": name, "sinks": sinks}
            queue_of[route] = name
            return name

        root_route = self.route_of("", (root or {}).get("handlers"))
        root_queue = queue_for(root_route, "main") if root_route else self.last_resort(root is None)
        self.root = {"level": _level((root or {}).get("level", "WARNING")), "queue": root_queue}
        if root:
            filters = self.filter_refs(root.get("filters"), ("root", ""))
            if filters:
                self.root["filters"] = filters
        routed = {n for n, s in loggers.items() if self.route_of(n, s.get("handlers"))}
        for name, spec in loggers.items():
            out: dict[str, Any] = {}
            if spec.get("level") is not None:
                out["level"] = _level(spec["level"])
            route = self.route_of(name, spec.get("handlers"))
            propagate = spec.get("propagate")
            where = ("loggers", name)
            if route:
                out["queue"] = queue_for(route, name)
                effective = True if propagate is None else bool(propagate)
                if effective and not root_route and not _has_routed_ancestor(name, routed):
                    effective = False
                    self.note(where, "propagated to a root without handlers, which added nothing: false here")
                elif effective and out["queue"] == root_queue:
                    self.note(
                        where, "its records reach the same handlers twice (here and at the root), as before"
                    )
                out["propagate"] = effective
            elif propagate is not None:
                out["propagate"] = bool(propagate)
            filters = self.filter_refs(spec.get("filters"), where)
            if filters:
                out["filters"] = filters
                self.note(where, "logger filters in logboot also apply to records of its child loggers")
            self.loggers[name] = out
        used = {s for listener in self.sections["listeners"].values() for s in listener["sinks"]}
        for name in self.sections["sinks"]:
            if name not in used:
                self.note(("sinks", name), "no logger used this handler; no listener uses this sink")
        self.note_widened()
        self.note_layouts()

    def note_layouts(self) -> None:
        """What every imported text sink changes, said once, and where queues may reorder."""
        sinks = self.sections["sinks"]
        formatters = self.sections["formatters"]

        def writes_text(sink: dict[str, Any]) -> bool:
            formatter = formatters.get(str(sink.get("formatter")), {})
            return sink.get("type") in _TEXT_SINKS and formatter.get("type", "text") == "text"

        if any(writes_text(sink) for sink in sinks.values()):
            self.note(
                None,
                "text sinks escape what could forge a line: a line break inside a message is "
                "written as \\n, and a traceback's lines are indented under their record, so every "
                "line that starts at column one starts a record (logging wrote both raw). For "
                "logging's exact bytes on a sink whose input you trust, set `stdlib_layout: true` "
                "on its formatter",
            )
        queues_of: dict[str, set[str]] = {}
        for listener in self.sections["listeners"].values():
            for sink in listener["sinks"]:
                queues_of.setdefault(sink, set()).add(listener["queue"])
        targets: dict[str, list[str]] = {}
        for name, spec in sinks.items():
            target = spec.get("path") or (spec.get("stream") if spec.get("type") == "console" else None)
            if target and name in queues_of:
                targets.setdefault(str(target), []).append(name)
        for target, names in targets.items():
            queues = sorted(set().union(*(queues_of[n] for n in names)))
            if len(queues) > 1:
                self.note(
                    None,
                    f"sinks {', '.join(names)} write to {target} from {len(queues)} queues "
                    f"({', '.join(queues)}): each queue keeps its own order, but records of different "
                    "queues can reach it in another order than they were logged",
                )

    def note_widened(self) -> None:
        """Where a filter made by code was left out, say exactly what now gets through: a
        dropped filter must never widen what reaches a sink without a word."""
        feeders: dict[str, list[str]] = {}  # sink -> the loggers whose queue's listener runs it
        queues = {"root": self.root.get("queue"), **{n: s.get("queue") for n, s in self.loggers.items()}}
        for logger, queue in queues.items():
            listener = self.sections["listeners"].get(str(queue)) if queue else None
            for sink in listener["sinks"] if listener else ():
                feeders.setdefault(sink, []).append(logger)
        for where, ref in self.widened:
            maker = self.code_filters[ref]
            if where[0] == "sinks":
                sink = self.sections["sinks"].get(where[1])
                if sink is None:
                    continue  # the sink itself was left out
                level = sink.get("level")
                which = f"{level} and above" if level is not None else "every level"
                sources = [
                    "the root logger (and every logger that propagates to it)"
                    if n == "root"
                    else f"logger {n!r} and the children that propagate to it"
                    for n in feeders.get(where[1], [])
                ]
                origin = "; ".join(sources) or "no logger"
                text = (
                    f"filter {ref!r} ({maker}) is left out, so this sink now writes every record "
                    f"it is sent ({which}) from {origin}; before, {maker} dropped those it refused. "
                    f"To keep it, add the custom filter and `filters: [{ref}]` here"
                )
            else:
                logger = where[1] or "root"
                text = (
                    f"filter {ref!r} ({maker}) is left out, so every record of logger {logger!r} at its "
                    f"level and above now goes on to its handlers; before, {maker} dropped those it refused. "
                    f"To keep it, add the custom filter and `filters: [{ref}]` here"
                )
            self.note(where, text)

    def last_resort(self, absent: bool) -> str:
        """The root had no handlers: Python's last resort wrote warnings to stderr; so does this."""
        formatter = self.bare_formatter()
        self.sections["sinks"]["last_resort"] = {
            "type": "console",
            "stream": "stderr",
            "level": "WARNING",
            "formatter": formatter,
        }
        what = "dictConfig left the root logger alone" if absent else "the root logger had no handlers"
        self.note(
            ("sinks", "last_resort"),
            f"{what}: Python's last resort wrote warnings and above to stderr; this sink does the same",
        )
        name = "main" if "main" not in self.sections["queues"] else "root"
        self.sections["queues"][name] = dict(DEFAULT_QUEUE)
        self.sections["listeners"][name] = {"queue": name, "sinks": ["last_resort"]}
        return name

    # --- output ---------------------------------------------------------------------------

    def render(self) -> str:
        lines = [
            f"# Imported from {self.source} by `logboot import`.",
            "# Handlers became sinks behind thread queues; check it with `logboot check`.",
        ]
        lines += _comment(self.header, "")
        lines.append("version: 1")
        for section in _SECTIONS:
            entries, leftovers = self.sections[section], self.leftovers.get(section, [])
            if not entries and not leftovers:
                continue
            lines.append(f"{section}:" if entries else f"{section}: {{}}")
            lines += self.entries(section, entries)
            for block in leftovers:
                lines += [f"  # {line}".rstrip() for line in block]
        lines += to_yaml({"root": _escape_dollars(self.root)}).splitlines()
        if self.loggers:
            lines.append("loggers:")
            lines += self.entries("loggers", self.loggers)
        return "\n".join(lines) + "\n"

    def entries(self, section: str, entries: Mapping[str, Any]) -> list[str]:
        lines: list[str] = []
        for name, value in entries.items():
            lines += _comment(self.comments.get((section, name), []), "  ")
            body = to_yaml({name: _escape_dollars(value) if value else {}}).splitlines()
            lines += [f"  {line}" for line in body]
        return lines


def _comment(texts: Iterable[str], indent: str) -> list[str]:
    return [f"{indent}# {line}" for text in texts for line in textwrap.wrap(text, 96 - len(indent))]


def _has_routed_ancestor(name: str, routed: set[str]) -> bool:
    parts = name.split(".")
    return any(".".join(parts[:i]) in routed for i in range(1, len(parts)))


def import_dictconfig(config: Mapping[str, Any], source: str = "<dictConfig>") -> tuple[str, list[str]]:
    """An equivalent profile (YAML text, commented) and the notes about what did not map.

    Every note also stands as a comment in the YAML, beside what it is about.
    """
    inner = exported_profile(config)
    if inner is not None:
        note = f"{source} was written by `logboot export`: this is the profile inside it"
        return f"# {note}\n" + to_yaml(inner), [note]
    if config.get("version") != 1:
        raise DictConfigError(f"{source}: expected 'version: 1', got {config.get('version')!r}")
    return Importer(config, source).run()


def safe_name(text: str) -> str:
    """A name usable as a profile key in overrides (letters, digits, ``_`` and ``-``)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "main"
