"""Settings of the recipe site. The part that matters is ``LOGGING``.

Django hands ``LOGGING`` to ``logging.config.dictConfig`` (after its own
``DEFAULT_LOGGING``). ``export_dictconfig`` makes that dictConfig start a logboot runtime
for the profile; the profile names the ``django`` and ``django.server`` loggers so that
the handlers of Django's defaults are replaced, and their records reach the profile's sinks.
"""

from __future__ import annotations

from pathlib import Path

import logboot
from logboot.dictconfig import export_dictconfig

BASE_DIR = Path(__file__).resolve().parent.parent
PROFILE = BASE_DIR.parent / "profiles" / "django.yaml"

LOGGING = export_dictconfig(logboot.load_profile(PROFILE))

SECRET_KEY = "recipe-only-not-a-secret"  # noqa: S105 - a local example, never deployed
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "shop_site.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
