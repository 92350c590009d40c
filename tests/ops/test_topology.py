"""The production topology as scripts/prod-local runs it: PgBouncer in transaction mode in front of
PostgreSQL, two web instances, two workers, production settings and the role layout. Every
request of the test goes to a web instance, which reaches the database only through PgBouncer;
the test reads the database straight, as postgres, only to check what happened."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import BASE_DIR, wait_for

pytestmark = pytest.mark.postgres

DEMO_KEY = "wso_n6g3qWheQwhP-0PE7KP5A93F6vypvsryHKAula19IKs"
LINE_1, LINE_3, LINE_6 = "06612340001", "06612340003", "06612340006"
ACCESS_KEYS = {LINE_1: "4AZKMPBV", LINE_3: "23Y99FP2", LINE_6: "XA94X6EV"}
POSTGRES = "host=127.0.0.1 port=5432 user=postgres"


def _why_not() -> str:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return "the topology test runs in the PostgreSQL run (DATABASE_URL=postgres://…)"
    if not shutil.which("pgbouncer"):
        return "pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it)"
    if subprocess.run(["redis-cli", "-p", "6379", "ping"], capture_output=True).returncode:
        return "Redis is not running on 127.0.0.1:6379"
    return ""


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class Browser:
    """A subscriber's browser behind our TLS proxy: cookies kept, CSRF token sent, redirects not
    followed; each request to whichever web instance the test names, as a load balancer would."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form: dict | None = None):
        body = None
        headers = {"X-Forwarded-Proto": "https", "Host": f"127.0.0.1:{port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            fields = [(k, v) for k, vs in (form or {}).items() for v in _listed(vs)]
            body = "&".join(f"{k}={_quote(str(v))}" for k, v in fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://127.0.0.1:{port}"
            headers["X-CSRFToken"] = self.cookies.get("__Host-csrftoken", "")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response.status, response.headers.get("Location", ""), text


def _listed(value):
    return value if isinstance(value, list) else [value]


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _json(port: int, method: str, path: str, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        method, path, body=json.dumps(body) if body is not None else None, headers=headers or {}
    )
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, json.loads(data) if data else None


def _stop_flow(browser: Browser, ports: tuple[int, int], provider_ids: list[int]) -> str:
    """申込: 通知しない for the providers, each step on the other web instance; the 受付番号."""
    a, b = ports
    status, location, _ = browser.request(
        a, "POST", "/notification/", {"action": "stop", "provider": provider_ids}
    )
    assert status == 302 and location.endswith("/consent/"), (status, location)
    flow = location.rsplit("/consent/", 1)[0]
    _, _, page = browser.request(b, "GET", f"{flow}/consent/")
    version = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', page)
    agreed = {"action": "agree", "version": next(g for g in version.groups() if g)}
    status, location, _ = browser.request(a, "POST", f"{flow}/consent/", agreed)
    assert status == 302 and location.endswith("/applicant/"), (status, location)
    applicant = {
        "name": "西日本 太郎",
        "phone": "06-1234-5678",
        "email": "taro@example.jp",
        "wants_completion_mail": "yes",
    }
    status, location, _ = browser.request(b, "POST", f"{flow}/applicant/", applicant)
    assert status == 302 and location.endswith("/confirm/"), (status, location)
    status, location, _ = browser.request(a, "POST", f"{flow}/confirm/")
    assert status == 302, (status, location)
    return re.search(r"/applications/([0-9-]+)/", location)[1]


def _log_in(port: int, line: str) -> Browser:
    browser = Browser()
    browser.request(port, "GET", "/login/")
    status, _, _ = browser.request(
        port, "POST", "/login/", {"flets_number": line, "access_key": ACCESS_KEYS[line]}
    )
    assert status == 302, f"login of {line} answered {status}"
    return browser


class Receiver(ThreadingHTTPServer):
    """W0099's webhook receiver: a real http.server that keeps each webhook-id it is sent."""

    def __init__(self):
        self.ids: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.ids.append(self.headers["webhook-id"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def topology(tmp_path):
    why = _why_not()
    if why:
        pytest.skip(why)
    bouncer, web_a, web_b, metrics_a, metrics_b = _free_ports(5)
    database = f"wso_topology_{os.getpid()}"
    state = tmp_path / "prod-local"
    env = {
        **os.environ,
        "WSO_LOCAL_STATE": str(state),
        "WSO_LOCAL_DB": database,
        "WSO_LOCAL_PGBOUNCER_PORT": str(bouncer),
        "WSO_LOCAL_WEB_PORTS": f"{web_a} {web_b}",
        "WSO_LOCAL_WORKER_METRICS_PORTS": f"{metrics_a} {metrics_b}",
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        # Long enough to cancel an application right after it is received.
        "WSO_WORK_DELAY": "3",
        "WSO_WORKER_POLL_SECONDS": "1",
    }
    for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    output = tmp_path / "prod-local.out"
    with output.open("w") as out:
        process = subprocess.Popen(
            [BASE_DIR / "scripts" / "prod-local"], cwd=BASE_DIR, env=env, stdout=out, stderr=out
        )
    try:
        wait_for(
            lambda: process.poll() is not None or "The topology is up" in output.read_text(),
            timeout=300,
        )
        assert process.poll() is None, output.read_text()
        yield {
            "ports": (web_a, web_b),
            "state": state,
            "env": env,
            "database": database,
            "process": process,
            "worker_metrics": (metrics_a, metrics_b),
        }
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        with psycopg.connect(POSTGRES, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            for role in (f"{database}_app", f"{database}_owner"):
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_the_topology_serves_through_pgbouncer_only(topology):
    web_a, web_b = ports = topology["ports"]
    state: Path = topology["state"]
    db = psycopg.connect(POSTGRES, dbname=topology["database"], autocommit=True)
    provider = dict(db.execute("SELECT code, id FROM notification_serviceprovider").fetchall())

    # W0099's URL: the test's own receiver (the demo's points at make run's).
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
    manage = [str(BASE_DIR / ".venv" / "bin" / "python"), "manage.py"]
    secrets = dict(
        line.split("=", 1) for line in (state / "secrets").read_text().split() if "=" in line
    )
    database_url = (
        f"postgres://{topology['database']}_app:{secrets['APP_PASSWORD']}"
        f"@127.0.0.1:{topology['env']['WSO_LOCAL_PGBOUNCER_PORT']}/{topology['database']}"
    )
    subprocess.run(
        [*manage, "provider_endpoint", "W0099", "--url", url],
        cwd=BASE_DIR,
        check=True,
        capture_output=True,
        env={
            **topology["env"],
            "DJANGO_SETTINGS_MODULE": "wso_portal.settings.prod",
            "SECRET_KEY": secrets["SECRET_KEY"],
            "DATABASE_URL": database_url,
            "WSO_DB_TRANSACTION_POOLING": "1",
            "WSO_WEBHOOK_ALLOW_PRIVATE": "1",
        },
    )

    # A look-up batch on each instance: lines 1 and 3 tell W0099 their お客様ID.
    batch = ["2001:db8:100::1", "2001:db8:102::1"] + [f"2001:db8:ffff::{i:x}" for i in range(98)]
    key = {"Authorization": f"Bearer {DEMO_KEY}", "Content-Type": "application/json"}
    key["X-Forwarded-Proto"] = "https"
    for port in ports:
        status, answer = _json(port, "POST", "/api/v1/lookups", {"addresses": batch}, key)
        assert status == 200
        told = [r["address"] for r in answer["results"] if r["notified"]]
        assert told == batch[:2]

    # Change flows, each step on the other instance; one of line 6's applications cancelled.
    line_1, line_3, line_6 = (_log_in(web_a, line) for line in (LINE_1, LINE_3, LINE_6))
    applied = [
        _stop_flow(line_1, ports, [provider["W0099"], provider["A0101"]]),
        _stop_flow(line_3, (web_b, web_a), [provider["W0099"]]),
        _stop_flow(line_6, ports, [provider["A0103"], provider["B0201"]]),
    ]
    cancelled = _stop_flow(line_6, (web_b, web_a), [provider["A0101"]])
    status, location, _ = line_6.request(
        web_b, "POST", f"/notification/applications/{cancelled}/cancel/"
    )
    assert status == 302 and location.endswith("/notification/history/")

    def states() -> dict[str, str]:
        return dict(
            db.execute("SELECT receipt_number, state FROM notification_application").fetchall()
        )

    wait_for(lambda: all(states()[r] == "completed" for r in applied), timeout=60)
    wait_for(
        lambda: (
            db.execute(
                "SELECT COUNT(*) FROM providers_webhookevent WHERE state <> 'delivered'"
            ).fetchone()[0]
            == 0
        ),
        timeout=60,
    )
    assert states()[cancelled] == "cancelled"

    # Every application applied exactly once, by one of the two workers.
    worker_logs = (state / "worker1.log").read_text() + (state / "worker2.log").read_text()
    for receipt in applied:
        assert worker_logs.count(f"受付番号 {receipt}: 完了") == 1, receipt
        events = db.execute(
            "SELECT e.state, COUNT(*) FROM notification_applicationevent e"
            " JOIN notification_application a ON a.id = e.application_id"
            " WHERE a.receipt_number = %s GROUP BY e.state",
            [receipt],
        ).fetchall()
        assert dict(events) == {"received": 1, "in_progress": 1, "completed": 1}
    assert f"受付番号 {cancelled}: 完了" not in worker_logs
    workers = db.execute("SELECT COUNT(DISTINCT worker) FROM ops_heartbeat").fetchone()[0]
    assert workers == 2

    # Every event delivered once, with its one webhook-id: disabled for lines 1 and 3.
    sent = db.execute(
        "SELECT webhook_id FROM providers_webhookevent WHERE type = 'notification.disabled'"
    ).fetchall()
    assert len(sent) == 2
    assert sorted(receiver.ids) == sorted(webhook_id for (webhook_id,) in sent)
    receiver.shutdown()

    # Each process counts its own: the workers' counts add up to what happened, and each web
    # instance counted its own look-up batch.
    def scraped(port: int, path: str) -> dict:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path)
        text = connection.getresponse().read().decode()
        connection.close()
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    worker_metrics = [scraped(int(p), "/") for p in topology["worker_metrics"]]
    completed = ("wso_applications_total", (("state", "completed"),))
    delivered = ("wso_webhook_deliveries_total", (("result", "delivered"),))
    assert sum(m.get(completed, 0) for m in worker_metrics) == 3
    assert sum(m.get(delivered, 0) for m in worker_metrics) == 2
    for port in ports:
        assert scraped(port, "/metrics")[("wso_lookups_total", (("outcome", "notified"),))] == 1

    logs_so_far = "".join(path.read_text(errors="replace") for path in state.glob("*.log"))
    assert "Traceback" not in logs_so_far

    # PostgreSQL unreachable (PgBouncer stopped): both instances not ready, then ready again.
    bouncer_pid = int((state / "pgbouncer.pid").read_text())
    os.kill(bouncer_pid, signal.SIGTERM)
    wait_for(lambda: not _alive(bouncer_pid))
    for port in ports:
        status, body = _json(port, "GET", "/readyz")
        assert status == 503 and body["checks"]["database"].startswith("error"), body
    subprocess.run(
        [BASE_DIR / "scripts" / "prod-local", "pgbouncer"], env=topology["env"], check=True
    )
    for port in ports:
        wait_for(lambda port=port: _json(port, "GET", "/readyz")[0] == 200, timeout=30)

    # No statement prepared on one server connection was looked for on another.
    logs = "".join(path.read_text(errors="replace") for path in state.glob("*.log"))
    assert "prepared statement" not in logs
    db.close()

    # Stopping it leaves nothing running.
    pids = [int(pid) for pid in (state / "pids").read_text().split()]
    pids.append(int((state / "pgbouncer.pid").read_text()))
    topology["process"].send_signal(signal.SIGTERM)
    assert topology["process"].wait(timeout=60) == 0
    time.sleep(0.2)
    assert [pid for pid in pids if _alive(pid)] == []
    for port in ports:
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
