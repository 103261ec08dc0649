"""gunicorn settings for the recipe: logging through logboot, pre-fork workers.

gunicorn's master loads ``logconfig_dict`` with ``dictConfig``, which starts a logboot
runtime in the master (the profile has a ``kind: process`` queue). Each worker is forked
from it, so it is attached already; ``post_fork`` makes that explicit, warns if the profile
could not reach the master, and logs one record from the new worker.
"""

from __future__ import annotations

import sys
from pathlib import Path

import logboot
from logboot.dictconfig import export_dictconfig
from logboot.integrations import post_fork

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # gunicorn_app lives beside this file

logconfig_dict = export_dictconfig(logboot.load_profile(HERE / "profiles" / "gunicorn.yaml"))
workers = 2
graceful_timeout = 10
control_socket_disable = True  # no control socket in $HOME (gunicorn 25+; older ones ignore it)

__all__ = ["control_socket_disable", "graceful_timeout", "logconfig_dict", "post_fork", "workers"]
