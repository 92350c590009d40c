import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from console.receivers import DEMO_EMAIL, DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_the_demo_prints_w0099s_console_login_and_it_logs_in(client):
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "http://127.0.0.1:8000/provider/login/" in out.getvalue()
    assert f"メールアドレス {DEMO_EMAIL}  パスワード {DEMO_PASSWORD}" in out.getvalue()
    response = client.post(
        reverse("console:login"), {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert b"W0099" in client.get(reverse("console:dashboard")).content
    call_command("demo", stdout=io.StringIO())  # again: the same user, still working
    assert client.get(reverse("console:dashboard")).status_code == 200
