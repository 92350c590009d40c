import time

from django.http import HttpResponseNotAllowed

from . import metrics, views

ENDPOINTS = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics_view}


class OpsMiddleware:
    """Answers the endpoints above before the rest of the stack runs (no session, CSRF, host
    check or rate), and counts and times every other request. After TrustedProxyMiddleware,
    which settles the client's address that /metrics is allowed to."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        endpoint = ENDPOINTS.get(request.path_info)
        if endpoint is not None:
            if request.method not in ("GET", "HEAD"):
                return HttpResponseNotAllowed(["GET", "HEAD"])
            response = endpoint(request)
            response["Cache-Control"] = "no-store"
            return response
        started = time.perf_counter()
        response = self.get_response(request)
        metrics.count_request(request, response, time.perf_counter() - started)
        return response
