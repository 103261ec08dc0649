"""One view: ``/orders/<n>`` logs the lookup and answers with JSON."""

from __future__ import annotations

import logging
import os

from django.http import HttpRequest, JsonResponse
from django.urls import path

log = logging.getLogger("shop")


def order(request: HttpRequest, order_id: int) -> JsonResponse:
    log.info("order %d looked up", order_id, extra={"order_id": order_id})
    return JsonResponse({"order_id": order_id, "pid": os.getpid()})


urlpatterns = [path("orders/<int:order_id>", order)]
