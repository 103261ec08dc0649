"""Write ``docs/profile-reference.md`` and the schema the package ships
(``logboot/logboot.schema.json``) from the profile's JSON Schema, so neither can drift.

    python -m tools.docgen            # rewrite both
    python -m tools.docgen --check    # exit 1 if a committed file is out of date

Everything in the reference (keys, types, defaults, descriptions, examples) comes from
``logboot.profile.schema``; a test compares the committed file with what this writes.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from logboot.profile.schema import SCHEMA_FILE, Profile, json_schema, schema_text
from logboot.profile.schema_export import is_interpolated, required_keys, union_members

DEFAULT_OUTPUT = Path("docs") / "profile-reference.md"
SHIPPED_SCHEMA = Path("logboot") / SCHEMA_FILE  # package data: what `logboot schema` prints

# The value types a profile writes in human units (parsed by logboot/values/units.py).
_UNITS = {
    "level": "a level name (`DEBUG`, `INFO`, `WARNING`, `ERROR`, `CRITICAL`, any case) or a number.",
    "duration": "seconds as a number, or a string with a unit: `500ms`, `2s`, `1m`, `1h`, `14d`.",
    "size": "bytes as a number, or a string with a unit: `500KB`, `10MB` (powers of 1000), `10MiB` (1024).",
    "file mode": "the permission bits of a new file, in octal: `'0640'` (quote it in YAML).",
}
_SECTIONS = (
    ("formatters", "Formatters", "Each entry of `formatters` is one of these, chosen by `type`."),
    ("filters", "Filters", "Each entry of `filters` is one of these, chosen by `type`."),
    ("sinks", "Sinks", "Each entry of `sinks` is one of these, chosen by `type`."),
)
_SINGLE = (
    ("queues", "QueueSpec", "Queues", "Each entry of `queues`."),
    ("listeners", "ListenerSpec", "Listeners", "Each entry of `listeners`."),
    ("root", "RootSpec", "Root", "The `root` mapping: the root logger."),
    ("loggers", "LoggerSpec", "Loggers", "Each entry of `loggers`, by logger name (`app.db`)."),
    ("shutdown", "ShutdownSpec", "Shutdown", "The `shutdown` mapping."),
    ("reload", "ReloadSpec", "Reload", "The `reload` mapping."),
    ("control", "ControlSpec", "Control", "The `control` mapping: the socket `logboot ctl` talks to."),
)


def _unit(prop: dict[str, Any]) -> str | None:
    """The named value type (level, duration, size, file mode) a schema node describes, if any."""
    members = prop.get("anyOf")
    if not isinstance(members, list):
        return None
    text = json.dumps(members)
    if '"DEBUG"' in text and '"integer"' in text:
        return "level"
    if "ms|s|m|h" in text:
        return "duration"
    if "KkMmGgTt" in text:
        return "size"
    if "[0-7]" in text:
        return "file mode"
    return None


def _default(prop: dict[str, Any]) -> str:
    """A default as a profile would write it: levels by name, file modes in octal."""
    value = prop.get("default")
    unit = _unit(prop)
    if unit == "level" and isinstance(value, int):
        return logging.getLevelName(value)
    if unit == "file mode" and isinstance(value, int):
        return f"'{value:04o}'"
    if unit == "duration" and isinstance(value, (int, float)):
        return f"{value:g}s"
    return json.dumps(value)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _anchor(title: str) -> str:
    keep = (c for c in title.lower().replace(" ", "-") if c.isalnum() or c in "-_")
    return "".join(keep)


class _Writer:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.defs: dict[str, Any] = schema["$defs"]
        # The schema lifts `required` out of the models (a profile with `extends` may omit keys).
        self.required = required_keys(Profile.model_json_schema())
        self.titles: dict[str, str] = {}  # model name -> its section title (for links)
        self.lines: list[str] = []

    def type_of(self, prop: dict[str, Any]) -> str:
        unit = _unit(prop)
        if unit is not None:
            nullable = any(m.get("type") == "null" for m in prop["anyOf"])
            return f"[{unit}](#units)" + (" or null" if nullable else "")
        if union_members(prop):
            kinds = sorted(tag for tag, _ in union_members(prop))
            return "one of the types " + ", ".join(f"`{k}`" for k in kinds)
        if "$ref" in prop:
            model = _ref_name(prop["$ref"])
            return f"[{model}](#{_anchor(self.titles.get(model, model))})"
        if "const" in prop:
            return f"`{json.dumps(prop['const'])}`"
        if "enum" in prop:
            return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
        if "anyOf" in prop:
            parts = [
                self.type_of(p) for p in prop["anyOf"] if p.get("type") != "null" and not is_interpolated(p)
            ]
            nullable = any(p.get("type") == "null" for p in prop["anyOf"])
            return " or ".join(parts) + (" or null" if nullable else "")
        kind = prop.get("type")
        if kind == "array":
            return f"list of {self.type_of(prop.get('items', {}))}"
        if kind == "object":
            values = prop.get("additionalProperties")
            if isinstance(values, dict) and values:
                return f"mapping of name to {self.type_of(values)}"
            return "mapping"
        return {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}.get(
            str(kind), "any"
        )

    def table(self, model: dict[str, Any], name: str) -> None:
        required = set(self.required.get(name, []))
        self.lines += ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"]
        for key, prop in model.get("properties", {}).items():
            if key == "type" and "const" in prop:
                continue  # the heading names it
            default = "required" if key in required else f"`{_default(prop)}`"
            if key not in required and "default" not in prop:
                default = "empty"
            text = str(prop.get("description", "")).replace("|", "\\|").replace("\n", " ")
            examples = prop.get("examples")
            if examples:
                text += f" Example: `{json.dumps(examples[0])}`."
            self.lines.append(f"| `{key}` | {self.type_of(prop)} | {default} | {text.strip()} |")
        self.lines.append("")

    def union(self, key: str, title: str, intro: str) -> None:
        self.lines += [f"## {title}", "", intro, ""]
        union = self.schema["properties"][key]["additionalProperties"]
        for tag, ref in union_members(union):
            model = self.defs[_ref_name(ref)]
            self.lines += [f"### {key}: `{tag}`", "", model.get("description", ""), ""]
            self.table(model, _ref_name(ref))

    def write(self) -> str:
        for key, _, _ in _SECTIONS:
            for tag, ref in union_members(self.schema["properties"][key]["additionalProperties"]):
                self.titles[_ref_name(ref)] = f"{key}: {tag}"
        for _, model, title, _ in _SINGLE:
            self.titles[model] = title
        self.titles["SyslogTlsSpec"] = "syslog tls"
        self.lines += [
            "# Profile reference",
            "",
            "<!-- Generated by `python -m tools.docgen` from logboot/profile/schema.py: do not edit. -->",
            "",
            f"{self.schema.get('title', 'logboot profile')}. Every key of a profile, its type, its default",
            "and what it does. Unknown keys are errors (with a *did you mean* hint); `${VAR}` and",
            "`${VAR:-default}` are expanded in every string before validation, so any value may be",
            "written with them (`level: ${LOG_LEVEL:-INFO}`). A profile that `extends` another may",
            "leave out required keys its base gives. See [getting started](getting-started.md)",
            "for a walk through, and `logboot schema` for the JSON Schema itself.",
            "",
            "## Top level",
            "",
        ]
        top = dict(self.schema)
        self.table(top, "")
        self.units()
        for key, title, intro in _SECTIONS:
            self.union(key, title, intro)
        for _, model, title, intro in _SINGLE:
            self.lines += [f"## {title}", "", intro, "", self.defs[model].get("description", ""), ""]
            self.table(self.defs[model], model)
        if "SyslogTlsSpec" in self.defs:
            self.lines += ["## syslog tls", "", self.defs["SyslogTlsSpec"].get("description", ""), ""]
            self.table(self.defs["SyslogTlsSpec"], "SyslogTlsSpec")
        return "\n".join(self.lines).rstrip("\n") + "\n"

    def units(self) -> None:
        self.lines += ["## Units", ""]
        self.lines += [f"- **{name}**: {text}" for name, text in _UNITS.items()]
        self.lines.append("")


def render() -> str:
    """The Markdown of the profile reference."""
    return _Writer(json_schema()).write()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.docgen", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from the schema")
    args = parser.parse_args(argv)
    # Both files are generated from the schema: the reference and the schema the package ships.
    outputs = {args.output: render(), SHIPPED_SCHEMA: schema_text()}
    if args.check:
        stale = [
            p for p, text in outputs.items() if (p.read_text(encoding="utf-8") if p.exists() else "") != text
        ]
        for path in stale:
            sys.stderr.write(f"{path} is out of date: run `python -m tools.docgen`\n")
        return 1 if stale else 0
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
