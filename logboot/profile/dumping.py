"""A validated ``Profile`` back to plain data: for overrides, exports and YAML output.

The data validates to the same profile again. ``compact`` leaves out what equals the
default and writes levels by name, so a person can read the result.
"""

from __future__ import annotations

import logging
from typing import Any

import yaml

from logboot.profile.schema import Profile


def profile_data(profile: Profile, *, compact: bool = False) -> dict[str, Any]:
    """The profile as JSON-compatible data that validates to the same profile."""
    data = profile.model_dump(mode="json", exclude_defaults=compact)
    data["version"] = profile.version
    if compact:
        data = _type_first(_drop_empty(data))
        _name_levels(data)
    return data


def _type_first(data: Any) -> Any:
    """``type`` leads each formatter, filter and sink, as a person writes them."""
    if isinstance(data, dict):
        out = {"type": data["type"]} if "type" in data else {}
        out.update((k, _type_first(v)) for k, v in data.items() if k != "type")
        return out
    return data


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out top-level sections that say nothing (``root: {}``, ``sinks: {}``).

    Deeper empty mappings stay: ``queues: {main: {}}`` is a queue, ``tls: {}`` turns TLS on.
    """
    return {key: value for key, value in data.items() if value != {}}


def _name_levels(data: dict[str, Any]) -> None:
    """Write the levels a profile holds by name (``20`` -> ``INFO``), only where levels are."""
    places: list[tuple[dict[str, Any], str]] = []
    if isinstance(data.get("root"), dict):
        places.append((data["root"], "level"))
    for section, keys in (("sinks", ("level",)), ("loggers", ("level",)), ("filters", ("min", "max"))):
        for entry in (data.get(section) or {}).values():
            places.extend((entry, key) for key in keys if isinstance(entry, dict))
    for owner, key in places:
        value = owner.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            name = logging.getLevelName(value)
            if isinstance(name, str) and not name.startswith("Level "):
                owner[key] = name


class _Dumper(yaml.SafeDumper):
    """Block mappings, but a list of plain values on one line: ``sinks: [console, app]``."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(item, (str, int, float, bool)) or item is None for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def to_yaml(data: Any) -> str:
    """Block-style YAML in the order the keys were given."""
    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100
    )
    return text
