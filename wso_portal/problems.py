"""Problem details (RFC 9457) as the providers' API answers every error: application/problem+json
with a Japanese `detail`. Here, below the apps, so that the error views answer the API's paths
in the API's own form."""

from http import HTTPStatus

from django.http import HttpResponse, JsonResponse

PROBLEM = "application/problem+json"


def problem(status: int, detail: str, *, errors: list | None = None, **headers) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = JsonResponse(
        body, status=status, content_type=PROBLEM, json_dumps_params={"ensure_ascii": False}
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response
