"""Concurrency in tests on PostgreSQL: threads with connections of their own, and
`manage.py worker` as a process of its own on the test database."""

import os
import subprocess
import sys
import threading
import time
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
