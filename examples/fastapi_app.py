"""FastAPI behind uvicorn, its access and application logs going through logboot.

Run from the repository root (LOG_DIR chooses the folder of service.jsonl):

    python examples/fastapi_app.py --port 8000              # one process
    python examples/fastapi_app.py --port 8000 --workers 2  # a supervisor and two workers

uvicorn only takes a ``dictConfig``; ``export_dictconfig`` turns the profile into one
whose handlers start logboot inside ``logging.config.dictConfig``. With ``--workers``, the
spawned workers load the same document and attach to the supervisor's process queue
(``$LOGBOOT_PARENT``), so one listener in the supervisor writes every worker's records.
The same document can be written once with ``logboot export`` and passed as
``uvicorn --log-config logging.json``.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import uvicorn
from fastapi import FastAPI

import logboot
from logboot.dictconfig import export_dictconfig

PROFILE = Path(__file__).resolve().parent / "profiles" / "uvicorn.yaml"

app = FastAPI()
log = logging.getLogger("shop")


@app.get("/orders/{order_id}")
async def order(order_id: int) -> dict[str, int]:
    log.info("order %d looked up", order_id, extra={"order_id": order_id})
    return {"order_id": order_id, "pid": os.getpid()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    log_config = export_dictconfig(logboot.load_profile(PROFILE))
    # An import string, so that spawned workers can import the app themselves.
    uvicorn.run(
        "fastapi_app:app", host="127.0.0.1", port=args.port, workers=args.workers, log_config=log_config
    )


if __name__ == "__main__":
    main()
