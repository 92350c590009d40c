"""通知先URL: set or changed with check_url's SSRF checks, 署名鍵を更新 showing the new secret
once, テスト送信 with its result on the page; through providers.webhooks, audited."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from providers.models import Endpoint, WebhookEvent
from providers.webhooks import register_endpoint, signing_secrets

ENDPOINT = reverse("console:endpoint")


def test_setting_the_url_shows_its_first_secret_once(carol_client, w0099, receiver):
    response = carol_client.post(ENDPOINT, {"url": receiver.url})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    secret = re.search(
        r'data-testid="new-secret">(whsec_[A-Za-z0-9+/=]+)<', response.content.decode()
    )[1]
    endpoint = Endpoint.objects.get(provider=w0099)
    assert signing_secrets(endpoint) == [secret]
    assert secret not in carol_client.get(ENDPOINT).content.decode()
    assert AuditEntry.objects.get(action="register_endpoint").details["url"] == receiver.url


def test_changing_the_url_keeps_the_secret_and_is_audited(carol_client, w0099, receiver):
    register_endpoint(w0099, "http://127.0.0.1:9/old")
    response = carol_client.post(ENDPOINT, {"url": receiver.url})
    assert response.status_code == 302
    assert Endpoint.objects.get(provider=w0099).url == receiver.url
    entry = AuditEntry.objects.get(action="change_endpoint")
    assert entry.details["url_before"] == "http://127.0.0.1:9/old"


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://127.0.0.1:8000/hook", "https://"),
        ("https://10.0.0.1/hook", "公開されていないアドレス"),
        ("https://user:pw@example.com/hook", "利用者名やパスワード"),
    ],
)
def test_the_admins_ssrf_checks_refuse_a_url(carol_client, w0099, settings, url, message):
    settings.WSO_WEBHOOK_ALLOW_PRIVATE = False
    response = carol_client.post(ENDPOINT, {"url": url})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Endpoint.objects.exists()


def test_rotating_asks_first_then_shows_the_new_secret_once(carol_client, w0099, receiver):
    endpoint, first = register_endpoint(w0099, receiver.url)
    rotate = reverse("console:endpoint_rotate")
    assert "署名鍵を更新" in carol_client.get(rotate).content.decode()
    response = carol_client.post(rotate, {"confirm": "yes"})
    assert "no-store" in response["Cache-Control"]
    new = re.search(r'data-testid="new-secret">(whsec_[^<]+)<', response.content.decode())[1]
    assert signing_secrets(endpoint) == [new, first]  # the old one signs for the overlap
    assert AuditEntry.objects.get(action="rotate_secret").details["provider"] == "W0099"


def test_a_test_send_shows_its_result_on_the_page(carol_client, w0099, receiver):
    register_endpoint(w0099, receiver.url)
    response = carol_client.post(reverse("console:endpoint_test"), follow=True)
    html = response.content.decode()
    assert "テスト送信しました (ステータス 200" in html
    assert re.search(r'data-testid="last-test">[^<]*成功', html)
    assert receiver.received[0].headers["webhook-id"].startswith("msg_")
    event = WebhookEvent.objects.get(provider=w0099)
    assert event.type == "notification.test" and event.state == "delivered"
    assert AuditEntry.objects.get(action="send_test").details["succeeded"] is True


def test_a_failed_test_send_says_so(carol_client, w0099, receiver):
    from tests.providers.receiver import Answer

    register_endpoint(w0099, receiver.url)
    receiver.answer(Answer(status=500))
    html = carol_client.post(reverse("console:endpoint_test"), follow=True).content.decode()
    assert "テスト送信は失敗しました (HTTP 500" in html


def test_another_providers_endpoint_is_never_touched(carol_client, w0099, other_provider, receiver):
    theirs, secret = register_endpoint(other_provider, "http://127.0.0.1:9/theirs")
    html = carol_client.get(ENDPOINT).content.decode()
    assert "theirs" not in html and secret[:10] not in html
    carol_client.post(reverse("console:endpoint_rotate"), {"confirm": "yes"})
    carol_client.post(reverse("console:endpoint_test"))
    assert signing_secrets(theirs) == [secret]
    assert not WebhookEvent.objects.exists()
    carol_client.post(ENDPOINT, {"url": receiver.url})
    theirs.refresh_from_db()
    assert theirs.url == "http://127.0.0.1:9/theirs"
