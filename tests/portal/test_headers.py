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
