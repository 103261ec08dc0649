"""Between logboot profiles and the standard library's ``dictConfig`` documents.

``import_dictconfig`` turns an existing ``dictConfig`` (YAML or JSON, 3.12+ queue handlers
included) into an equivalent profile: every handler becomes a sink behind a thread
queue, with a YAML comment wherever logboot has no equivalent. ``export_dictconfig``
goes the other way for tools that only accept ``dictConfig`` (uvicorn ``--log-config``,
gunicorn ``logconfig_dict``, Django ``LOGGING``): the document it writes starts a
logboot runtime for the profile when ``logging.config.dictConfig`` loads it (see
``logboot.interop.integrations``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

from logboot.errors import LogbootError
from logboot.profile.dumping import profile_data, to_yaml
from logboot.profile.schema import Profile

HANDLER_FACTORY = "logboot.integrations.ProfileHandler"  # the public path: stored documents keep working
PROFILE_KEY = "logboot"
ROOT_HANDLER = "logboot"  # the root logger's handler; a logger's is "logboot:<logger name>"


class DictConfigError(LogbootError):
    """A ``dictConfig`` document that cannot be read or imported."""


def read_dictconfig(text: str, name: str = "<dictConfig>") -> dict[str, Any]:
    """A ``dictConfig`` document from YAML or JSON text (safe YAML: no tags are constructed)."""
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as err:
        raise DictConfigError(f"{name}: not valid YAML or JSON: {err}") from err
    if not isinstance(data, dict):
        raise DictConfigError(f"{name}: expected a mapping with 'version: 1' at the top")
    return data


# --- export -------------------------------------------------------------------------------


def export_dictconfig(profile: Profile) -> dict[str, Any]:
    """A ``dictConfig`` document that starts a logboot runtime for ``profile`` when loaded.

    The profile travels inside the document (key ``logboot``); each logger that feeds a
    queue gets one ``logboot.integrations.ProfileHandler`` that forwards to the runtime's
    own queue handler for that logger. Levels and ``propagate`` are set by the runtime
    (so ``$LOGBOOT_LEVEL`` still applies), which is why the document leaves them out.
    """
    data = profile_data(profile, compact=True)
    handlers: dict[str, Any] = {}
    loggers: dict[str, Any] = {}

    def handler_for(owner: str) -> list[str]:
        name = f"{ROOT_HANDLER}:{owner}" if owner else ROOT_HANDLER
        handlers[name] = {"()": HANDLER_FACTORY, "profile": f"cfg://{PROFILE_KEY}", "owner": owner}
        return [name]

    root_queue = profile.root_queue()
    root: dict[str, Any] = {"handlers": handler_for("") if root_queue else []}
    for name, spec in profile.loggers.items():
        # The same rule as build.py: a logger has a handler of its own with a queue or filters.
        has_handler = bool((spec.queue or spec.filters) and (spec.queue or root_queue))
        loggers[name] = {"handlers": handler_for(name) if has_handler else []}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        PROFILE_KEY: data,
        "handlers": handlers,
        "root": root,
        "loggers": loggers,
    }


def exported_profile(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The profile inside a document ``export_dictconfig`` wrote, else ``None``."""
    inner = config.get(PROFILE_KEY)
    handlers = config.get("handlers")
    if not isinstance(inner, dict) or inner.get("version") != 1 or not isinstance(handlers, dict):
        return None
    if handlers and all(isinstance(h, dict) and h.get("()") == HANDLER_FACTORY for h in handlers.values()):
        return inner
    return None


# --- import -------------------------------------------------------------------------------


def import_dictconfig(config: Mapping[str, Any], source: str = "<dictConfig>") -> tuple[str, list[str]]:
    """An equivalent profile (YAML text, commented) and the notes about what did not map.

    Every note also stands as a comment in the YAML, beside what it is about.
    """
    from logboot.interop.dictconfig_import import Importer

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
