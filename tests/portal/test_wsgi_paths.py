"""The served application gives the providers' API to a handler with the middleware it needs
(WSO_API_MIDDLEWARE) and every other path to the pages' full middleware, as gunicorn and
runserver serve them."""

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

from wso_portal.handlers import APIHandler, by_path

pytestmark = pytest.mark.django_db(transaction=True)  # each request ends as a served one does


def serve(method: str, path: str, body: bytes = b"", **headers) -> tuple[str, dict, bytes]:
    # As wso_portal/wsgi.py builds it, without that module's start-up work for a worker process.
    application = by_path(WSGIHandler(), APIHandler())

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(body),
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    setup_testing_defaults(environ)
    answered = {}

    def start_response(status, response_headers, exc_info=None):
        answered.update(status=status, headers=response_headers)

    content = b"".join(application(environ, start_response))
    names = {}
    for name, value in answered["headers"]:
        names.setdefault(name.lower(), []).append(value)
    return answered["status"], names, content


def test_a_look_up_is_served_without_the_pages_middleware(line, key):
    status, headers, content = serve(
        "POST",
        "/api/v1/lookups",
        json.dumps({"addresses": ["2001:db8:8000:100::1"]}).encode(),
        authorization=f"Bearer {key}",
    )
    assert status.startswith("200")
    assert json.loads(content)["results"][0]["customer_id"] == line.customer_id
    # Its own headers and the security ones, and none of the pages' language or cookies.
    assert "no-store" in headers["cache-control"][0]
    for name in ("content-security-policy", "x-frame-options", "permissions-policy"):
        assert name in headers
    assert headers["x-content-type-options"] == ["nosniff"]
    assert "content-language" not in headers and "set-cookie" not in headers


def test_a_page_is_served_through_all_the_middleware(db):
    status, headers, content = serve("GET", "/login/")
    assert status.startswith("200")
    assert headers["content-language"] == ["ja"]
    assert any(cookie.strip().startswith("csrftoken=") for cookie in headers["set-cookie"])
    assert "content-security-policy" in headers
    assert "フレッツ".encode() in content


def test_the_apis_middleware_is_the_pages_own_in_their_order():
    api = settings.WSO_API_MIDDLEWARE
    assert [m for m in settings.MIDDLEWARE if m in api] == api
    assert len(api) < len(settings.MIDDLEWARE)


def test_a_host_not_allowed_is_refused_on_the_api_too_as_a_problem(line, key, client):
    body = json.dumps({"addresses": ["2001:db8:8000:100::1"]}).encode()
    status, headers, content = serve(
        "POST", "/api/v1/lookups", body, authorization=f"Bearer {key}", host="evil.example"
    )
    assert status.startswith("400")
    assert headers["content-type"] == ["application/problem+json"]
    assert json.loads(content)["status"] == 400
    # Through the pages' middleware (the test client's), the same answer.
    response = client.post(
        "/api/v1/lookups",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", "Host": "evil.example"},
    )
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
