"""Concurrency in tests on PostgreSQL: threads with connections of their own, and
`manage.py worker` as a process of its own on the test database. And the web process as
production starts it (scripts/start-web: gunicorn, production settings)."""

import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[1]


def start_worker(*args, **env_vars):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,  # the test database, not the development one
        "DJANGO_SETTINGS_MODULE": "wso_portal.settings.test",
        "PYTHONUNBUFFERED": "1",
        **env_vars,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker", *args],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def production_env(database_url: str, **env_vars) -> dict:
    """The environment the production settings need, on a database of the test's choosing."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wso_portal.settings.prod",
        "SECRET_KEY": "tests-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("WSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "WSO_TRUSTED_PROXIES": "",
        # start-web runs gunicorn and python from PATH, as in the image.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **env_vars,
    }


@contextmanager
def web_server(env: dict):
    """scripts/start-web with one worker on a free port (gunicorn binds every interface, as in
    the image); yields the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**env, "PORT": str(port), "WEB_CONCURRENCY": "1", "WSO_MIGRATE_ON_START": "0"}
    server = subprocess.Popen([BASE_DIR / "scripts" / "start-web"], cwd=BASE_DIR, env=env)
    try:
        wait_for(lambda: server.poll() is not None or _accepts(port))
        assert server.poll() is None, "scripts/start-web exited"
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


class Thread(threading.Thread):
    """Runs `target` on its own connection; keeps its result or exception for the test."""

    def __init__(self, target, *, start_together: threading.Barrier | None = None):
        super().__init__(daemon=True)
        self.target = target
        self.barrier = start_together
        self.result = None
        self.error = None

    def run(self):
        try:
            if self.barrier:
                self.barrier.wait()
            self.result = self.target()
        except Exception as exc:
            self.error = exc
        finally:
            connection.close()

    def outcome(self, timeout=30):
        self.join(timeout)
        assert not self.is_alive(), "thread did not finish"
        return self.result, self.error
