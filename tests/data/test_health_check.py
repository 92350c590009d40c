"""The persistent connection's health check (wso_portal.postgresql): nothing is sent to a
connection that is still open, and one the server has ended is replaced before the page's
first query, so the page does not fail."""

import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

pytestmark = [
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "wso_portal.postgresql",
        reason="needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),  # another session looks at this one
]


def other_session():
    return psycopg.connect(
        **{k: v for k, v in connection.get_connection_params().items() if k != "cursor_factory"},
        autocommit=True,
    )


def last_statement(pid: int) -> str:
    with other_session() as other:
        row = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return row[0]


def test_an_open_connection_is_found_usable_without_a_statement():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement'")
    pid = connection.connection.info.backend_pid
    assert connection.is_usable()
    assert last_statement(pid) == "SELECT 'the last statement'"


def test_a_connection_the_server_ended_is_found_unusable():
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with other_session() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)  # the server's last message reaches the socket
    assert not connection.is_usable()
    connection.close()


def test_a_page_after_the_server_ended_the_connection_is_served(alice_client):
    connection.ensure_connection()
    assert connection.health_check_enabled  # the settings' CONN_HEALTH_CHECKS
    with other_session() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    time.sleep(0.2)
    connection.health_check_done = False  # a new request, as close_old_connections leaves it
    response = alice_client.get(reverse("portal:top"))  # reads the session and the line
    assert response.status_code == 200
    assert response.context["line"].customer_id
