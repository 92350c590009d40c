"""Security headers on every kind of page: the portal, the admin, the API and its docs."""

import pytest


@pytest.mark.parametrize("url", ["/login/", "/admin/login/", "/api/v1/docs", "/privacy/"])
def test_every_page_has_a_strict_csp_and_a_permissions_policy(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]
    features = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in features


def csp_headers(middleware_class, view):
    from django.test import RequestFactory

    middleware = middleware_class(view)
    request = RequestFactory().get("/login/")
    middleware.process_request(request)
    response = middleware.process_response(request, view(request))
    return {k: v for k, v in response.items() if k.startswith("Content-Security-Policy")}


def test_the_policy_built_once_is_django_csps_for_every_kind_of_response():
    from csp.decorators import csp_exempt, csp_update
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse

    from wso_portal.middleware import ConstantCSPMiddleware

    def plain(request):
        return HttpResponse()

    @csp_update({"img-src": ["https://maps.example.jp"]})
    def updated(request):
        return HttpResponse()

    @csp_exempt()
    def exempt(request):
        return HttpResponse()

    def with_nonce(request):
        str(request.csp_nonce)
        return HttpResponse()

    constant = ConstantCSPMiddleware(plain)
    for view in (plain, updated, exempt, with_nonce, plain):
        assert csp_headers(lambda get_response: constant, view) == csp_headers(CSPMiddleware, view)
    assert csp_headers(lambda get_response: constant, exempt) == {}
    updated_policy = csp_headers(lambda get_response: constant, updated)
    assert "https://maps.example.jp" in updated_policy["Content-Security-Policy"]
    assert constant.headers == csp_headers(CSPMiddleware, plain)
