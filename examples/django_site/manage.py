"""Django's command line for the recipe site.

Run from the repository root (LOG_DIR chooses the folder of service.jsonl):

    python examples/django_site/manage.py runserver 127.0.0.1:8000 --noreload
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
