"""``dictConfig`` documents: reading one, and ``export_dictconfig``, a profile as one.

The way in, ``import_dictconfig``, is in ``logboot.interop.dictconfig_import``. ``export_dictconfig``
goes the other way for tools that only accept ``dictConfig`` (uvicorn ``--log-config``,
gunicorn ``logconfig_dict``, Django ``LOGGING``): the document it writes starts a
logboot runtime for the profile when ``logging.config.dictConfig`` loads it (see
``logboot.interop.integrations``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from logboot.errors import LogbootError
from logboot.profile.dumping import profile_data
from logboot.profile.schema import Profile
from logboot.profile.wiring import logger_queue, profile_root_queue

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

    root_queue = profile_root_queue(profile)
    root: dict[str, Any] = {"handlers": handler_for("") if root_queue else []}
    for name, spec in profile.loggers.items():
        has_handler = logger_queue(spec.queue, spec.filters, root_queue) is not None
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
