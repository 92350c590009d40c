"""POST /api/v1/lookups over HTTP, served as production serves it (scripts/start-web: gunicorn),
for what the test client cannot send: chunked bodies, any method, the header as on the wire."""

import http.client
import json
import subprocess
import sys

import pytest

from tests.processes import BASE_DIR, production_env, web_server

URL = "/api/v1/lookups"
ADDRESS = "2001:db8:9999::1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Yields (port, a live API key), on an SQLite database of the server's own."""
    database = tmp_path_factory.mktemp("lookups") / "db.sqlite3"
    env = production_env(f"sqlite:///{database}", SECURE_SSL_REDIRECT="0")
    create_key = "from tests.factories import *; print(make_key(make_provider())[1])"
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    key = subprocess.run(
        [*manage, "shell", "-v", "0", "-c", create_key],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with web_server(env) as port:
        yield port, key


def send(server, method="POST", body=None, *, chunked=False, authorization=None):
    port, key = server
    headers = {"Authorization": authorization or f"Bearer {key}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if chunked:
        body = iter([body[:10], body[10:]])  # two chunks; http.client sends no Content-Length
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, URL, body, headers, encode_chunked=chunked)
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def assert_problem(answer, status, detail=None):
    response, content = answer
    assert response.status == status, content
    assert response.getheader("Content-Type") == "application/problem+json"
    if detail is not None:
        assert json.loads(content)["detail"] == detail


def test_a_chunked_body_is_read(server):
    response, content = send(
        server, body=json.dumps({"addresses": [ADDRESS]}).encode(), chunked=True
    )
    assert response.status == 200, content
    assert json.loads(content)["results"] == [
        {"address": ADDRESS, "notified": False, "customer_id": None}
    ]


def test_a_chunked_body_over_64_kib_is_a_413_problem(server):
    body = json.dumps({"addresses": [ADDRESS], "pad": "x" * 65536}).encode()
    detail = "リクエストの本文が64KiBを超えています。"
    assert_problem(send(server, body=body, chunked=True), 413, detail)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "FOO"])
def test_every_other_method_is_a_405_problem(server, method):
    answer = send(server, method)
    assert_problem(answer, 405)
    assert answer[0].getheader("Allow") == "POST"
