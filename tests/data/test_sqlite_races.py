"""The embedded default (SQLite, `make run`) meets the races PostgreSQL does, such as a double
click on 【変更】: two transactions that read, then write. With the settings' transaction mode
the second waits for the first instead of failing with "database is locked"."""

import threading
import time

import pytest
from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.db.utils import ConnectionHandler

SQLITE_OPTIONS = settings.DATABASES["default"].get("OPTIONS", {})


def read_then_write_twice_at_once(path, options) -> list[Exception]:
    # A database of its own beside the test database, set up as the settings set up SQLite.
    database = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": options}}
    ).settings["default"]

    def open_connection():
        connection = DatabaseWrapper(database, alias="race")
        connections["race"] = connection  # this thread's, as Django keeps connections
        return connection

    setup = open_connection()
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE application (token TEXT)")
    setup.close()
    errors, barrier = [], threading.Barrier(2)

    def submit():
        connection = open_connection()
        try:
            barrier.wait()
            with transaction.atomic(using="race"), connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM application")
                time.sleep(0.2)  # both have read before either writes
                cursor.execute("INSERT INTO application VALUES ('token')")
        except OperationalError as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the embedded default's settings",
)
def test_two_submissions_at_once_wait_for_each_other(db, tmp_path):
    assert SQLITE_OPTIONS["transaction_mode"] == "IMMEDIATE"
    assert read_then_write_twice_at_once(tmp_path / "portal.sqlite3", SQLITE_OPTIONS) == []
    # Without it, the same race fails, as it did in make run.
    deferred = read_then_write_twice_at_once(tmp_path / "deferred.sqlite3", {"timeout": 20})
    assert [str(error) for error in deferred] == ["database is locked"]
