"""Which requests count as HTTPS, under gunicorn as production starts it (scripts/start-web):
only X-Forwarded-Proto, and only from WSO_TRUSTED_PROXIES (TrustedProxyMiddleware). gunicorn's
own reading of forwarded headers is off (gunicorn.conf.py)."""

import http.client

import pytest

from tests.processes import production_env, web_server

# Any page is redirected alike; this one renders without the collected static files that the
# production settings' pages need.
PAGE = "/api/v1/openapi.json"
HSTS = "Strict-Transport-Security"


@pytest.fixture(scope="module")
def direct(tmp_path_factory):
    """No proxy of ours: every peer is a client."""
    database = tmp_path_factory.mktemp("direct") / "db.sqlite3"
    with web_server(production_env(f"sqlite:///{database}")) as port:
        yield port


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory):
    """127.0.0.1, where the tests connect from, is our proxy."""
    database = tmp_path_factory.mktemp("behind_proxy") / "db.sqlite3"
    env = production_env(f"sqlite:///{database}", WSO_TRUSTED_PROXIES="127.0.0.1/32")
    with web_server(env) as port:
        yield port


def get(port: int, headers: dict) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", PAGE, headers=headers)
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def assert_redirected_to_https(response, port):
    assert response.status == 301
    assert response.getheader("Location") == f"https://127.0.0.1:{port}{PAGE}"
    assert response.getheader(HSTS) is None


# gunicorn's defaults (X-Forwarded-Ssl, X-Forwarded-Protocol) and RFC 7239's.
OTHER_SCHEME_HEADERS = [
    {"X-Forwarded-Ssl": "on"},
    {"X-Forwarded-Protocol": "ssl"},
    {"Forwarded": "proto=https"},
]
SCHEME_HEADERS = [
    {"X-Forwarded-Proto": "https"},
    *OTHER_SCHEME_HEADERS,
    {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl"},
]


@pytest.mark.parametrize("headers", SCHEME_HEADERS, ids=lambda h: "+".join(h))
def test_no_header_makes_a_direct_request_https(direct, headers):
    assert_redirected_to_https(get(direct, headers), direct)


def test_it_takes_x_forwarded_proto_from_our_proxy(behind_proxy):
    response = get(behind_proxy, {"X-Forwarded-Proto": "https"})
    assert response.status == 200
    assert response.getheader(HSTS).startswith("max-age=31536000")


@pytest.mark.parametrize("headers", OTHER_SCHEME_HEADERS, ids=lambda h: "+".join(h))
def test_it_takes_no_other_scheme_header_even_from_our_proxy(behind_proxy, headers):
    assert_redirected_to_https(get(behind_proxy, headers), behind_proxy)
