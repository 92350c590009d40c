import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from tests.factories import make_line
from wso_portal.models import Lockout, LoginAttempt

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _needs_postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent logins need PostgreSQL (SQLite serialises writers)")


def guess_at_once(url: str, forms: list[dict]) -> list[int]:
    """Post each form from an address of its own, all released together; their status codes."""
    barrier = threading.Barrier(len(forms))
    codes = []

    def guess(n):
        try:
            barrier.wait()
            codes.append(Client(REMOTE_ADDR=f"192.0.2.{n + 1}").post(url, forms[n]).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def test_concurrent_guesses_check_at_most_the_allowed_number_of_keys(settings):
    settings.WSO_LOCKOUT_FAILURES = 5
    line = make_line(access_key="RIGHT123")
    guesses = 20
    codes = guess_at_once(
        reverse("portal:login"),
        [{"flets_number": line.flets_number, "access_key": f"WRNG{n:04d}"} for n in range(guesses)],
    )
    assert codes == [200] * guesses
    assert LoginAttempt.objects.filter(reason="wrong").count() <= 5
    assert LoginAttempt.objects.filter(reason="pending").count() == 0
    assert Lockout.objects.filter(kind="line", key=line.flets_number).exists()
    # And the right key is refused while the line is locked.
    response = Client(REMOTE_ADDR="198.51.100.9").post(
        reverse("portal:login"), {"flets_number": line.flets_number, "access_key": "RIGHT123"}
    )
    assert "ログインを停止" in response.context["form"].non_field_errors()[0]


def test_concurrent_admin_guesses_check_at_most_the_allowed_number_of_passwords(settings):
    settings.WSO_LOCKOUT_FAILURES = 5
    get_user_model().objects.create_superuser(username="operator", password="right-pass-2026")
    guesses = 20
    codes = guess_at_once(
        reverse("admin:login"),
        [{"username": "operator", "password": f"wrong-{n}"} for n in range(guesses)],
    )
    assert codes == [200] * guesses
    assert LoginAttempt.objects.filter(kind="operator", reason="wrong").count() <= 5
    assert LoginAttempt.objects.filter(reason="pending").count() == 0
    assert Lockout.objects.filter(kind="operator", key="operator").exists()
    response = Client(REMOTE_ADDR="198.51.100.9").post(
        reverse("admin:login"), {"username": "operator", "password": "right-pass-2026"}
    )
    assert response.status_code == 200
    assert "ログインを停止" in response.context["form"].non_field_errors()[0]
