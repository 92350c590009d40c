"""The issue's walk on the demo data, as a new user tries it after `make run`: W0099's demo user
issues a key and looks up with it, revokes it (401), finds the look-up in 照会履歴, points 通知先URL
at a local receiver and sends テスト送信; then demo line 1 switches W0099 off through the
subscriber screens, the worker applies it and delivers, and 即時通知の履歴 shows the
notification.disabled event with its attempt."""

import io
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from agreements.services import current_version
from console.receivers import DEMO_EMAIL, DEMO_PASSWORD
from notification.models import Application, ServiceProvider
from notification.work import apply_next_due
from providers.models import ProviderKey
from providers.webhooks import deliver_due
from tests.data.test_demo import ARGON2_FIRST
from tests.notification.flow_helpers import start_stop, submit, walk_to_confirm
from wso_portal.management.commands.demo import DEMO_LOGINS

pytestmark = pytest.mark.django_db
ADDRESS = "2001:db8:100::1"  # demo line 1's, as the demo prints it


def look_up(key: str):
    return Client().post(
        "/api/v1/lookups",
        json.dumps({"addresses": [ADDRESS]}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def test_the_demo_walk_through_the_console(receiver, settings):
    settings.PASSWORD_HASHERS = ARGON2_FIRST  # the demo's access keys are Argon2 hashes
    call_command("demo", stdout=io.StringIO())
    w0099 = ServiceProvider.objects.get(code="W0099")
    console = Client()
    response = console.post(
        reverse("console:login"), {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302

    # 2. Issue a key and answer the README's curl with it.
    html = console.post(reverse("console:key_issue")).content.decode()
    key = re.search(r'data-testid="new-key">(wso_[A-Za-z0-9_-]{43})<', html)[1]
    answer = look_up(key).json()["results"][0]
    assert answer["notified"] is True
    customer_id = answer["customer_id"]
    # 3. Revoke it: 401.
    issued = ProviderKey.objects.filter(provider=w0099).latest("created_at")
    console.post(reverse("console:key_revoke", args=[issued.pk]), {"confirm": "yes"})
    assert look_up(key).status_code == 401
    # 4. The look-up in 照会履歴.
    html = console.get(reverse("console:disclosures")).content.decode()
    assert customer_id in html and ADDRESS in html and issued.display_prefix in html
    # 5. 通知先URL at a local receiver, and テスト送信.
    console.post(reverse("console:endpoint"), {"url": receiver.url})
    html = console.post(reverse("console:endpoint_test"), follow=True).content.decode()
    assert "テスト送信しました (ステータス 200" in html
    assert json.loads(receiver.received[-1].body)["type"] == "notification.test"

    # 6. Demo line 1 switches W0099 off through the subscriber screens; the worker applies it.
    line_1 = DEMO_LOGINS[0]
    subscriber = Client()
    subscriber.post(
        reverse("portal:login"),
        {"flets_number": line_1.flets_number, "access_key": line_1.access_key},
    )
    flow_id = start_stop(subscriber, w0099)
    walk_to_confirm(subscriber, flow_id, current_version())
    assert submit(subscriber, flow_id).status_code == 302
    application = Application.objects.get(line__flets_number=line_1.flets_number, state="received")
    assert apply_next_due(now=application.due_at).pk == application.pk
    assert deliver_due(now=application.due_at) >= 1
    html = console.get(
        reverse("console:events"), {"type": "notification.disabled"}
    ).content.decode()
    assert customer_id in html
    [event_id] = re.findall(r'href="/provider/events/(\d+)/"', html)
    event_page = console.get(reverse("console:event", args=[event_id])).content.decode()
    assert "notification.disabled" in event_page and "<td>200</td>" in event_page
    assert json.loads(receiver.received[-1].body)["type"] == "notification.disabled"
