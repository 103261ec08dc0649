"""A WSGI app for the gunicorn recipe: every request is logged by the worker serving it.

Run from the repository root (see examples/gunicorn.conf.py):

    gunicorn -c examples/gunicorn.conf.py --bind 127.0.0.1:8000 gunicorn_app:app
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("shop")


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """``GET /requests/<n>``: log request n, answer with n and the worker's pid."""
    tail = environ.get("PATH_INFO", "/").rstrip("/").rsplit("/", 1)[-1]
    number = int(tail) if tail.isdigit() else -1
    log.info("request %d served", number, extra={"request": number})
    body = json.dumps({"request": number, "pid": os.getpid()}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
