"""/healthz, /readyz and /metrics, served by OpsMiddleware ahead of sessions, CSRF, host
checks and the HTTPS redirect: a load balancer or Prometheus polls them over plain HTTP by
address, often several times a second, and must cost the portal next to nothing."""

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse

from wso_portal.login import client_address

from . import health, metrics


def healthz(request) -> HttpResponse:
    """The process serves: nothing else is touched."""
    return JsonResponse({"status": "ok"})


def readyz(request) -> HttpResponse:
    checks = health.readiness()
    ready = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


@cache
def _allowed_networks() -> list:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in settings.WSO_METRICS_ALLOWED]


def metrics_view(request) -> HttpResponse:
    """Only for loopback and WSO_METRICS_ALLOWED: anyone else is told there is nothing here."""
    address = ipaddress.ip_address(client_address(request))
    address = getattr(address, "ipv4_mapped", None) or address  # a dual-stack socket's 127.0.0.1
    if not address.is_loopback and not any(address in net for net in _allowed_networks()):
        return HttpResponseNotFound()
    return HttpResponse(metrics.exposition(), content_type="text/plain; version=0.0.4")
