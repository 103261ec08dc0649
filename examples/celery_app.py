"""A Celery app whose worker, and every prefork child of it, logs through logboot.

The broker is kombu's filesystem transport (a folder, no server). Run both commands from
the repository root: the broker folder is ``celery-data/`` there (or CELERY_DATA), the log
file ``logs/service.jsonl`` (or LOG_DIR):

    celery -A examples.celery_app worker --pool prefork --concurrency 2
    python examples/celery_app.py send 20        # enqueue 20 tasks

The worker's ``setup_logging`` signal calls ``logboot.setup_logging`` (so Celery does not
configure logging itself); the pool's children are forked from the worker, so their
records reach the worker's listener through the profile's process queue.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from celery import Celery, signals

import logboot

PROFILE = Path(__file__).resolve().parent / "profiles" / "celery.yaml"
DATA = Path(os.environ.get("CELERY_DATA", "celery-data")).resolve()
for _folder in ("queue", "control"):  # whichever side starts first, the broker is there
    (DATA / _folder).mkdir(parents=True, exist_ok=True)

app = Celery("celery_app", broker="filesystem://")
app.conf.update(
    broker_transport_options={
        "data_folder_in": str(DATA / "queue"),
        "data_folder_out": str(DATA / "queue"),
        "control_folder": str(DATA / "control"),
        "polling_interval": 0.1,
    },
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
    worker_prefetch_multiplier=1,
)
log = logging.getLogger("shop.tasks")


@signals.setup_logging.connect
def configure_logging(**kwargs: Any) -> None:
    """Celery calls this instead of configuring logging itself."""
    logboot.setup_logging(PROFILE)


# Named: the worker imports this module as `examples.celery_app`, the sender runs it as
# `__main__`, and a task's default name comes from its module.
@app.task(name="shop.charge")
def charge(order_id: int) -> int:
    log.info("order %d charged", order_id, extra={"order_id": order_id})
    return order_id


def send(count: int) -> None:
    for order_id in range(count):
        charge.delay(order_id)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "send":
        send(int(sys.argv[2]))
    else:
        sys.exit("usage: python examples/celery_app.py send COUNT")
