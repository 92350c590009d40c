"""Operators' admin for 即時通知: a provider's URL checked when it is registered, its signing
secret shown once (on registration and on 「署名鍵を更新」), テスト送信 to a real HTTP server,
and the events view-only, filtered by state and handed back to the worker by 「再送」."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from providers.models import DeliveryAttempt, Endpoint, EndpointSecret, WebhookEvent
from providers.webhooks import register_endpoint, signing_secrets

from ..factories import endpoint_form, make_application, make_line, make_provider
from .receiver import Answer

pytestmark = pytest.mark.django_db

SECRET_IN_PAGE = re.compile(r'<code class="signing-secret">(whsec_[A-Za-z0-9+/=]+)</code>')

ENDPOINTS = reverse("admin:providers_endpoint_changelist")
REGISTER = reverse("admin:providers_endpoint_add")
EVENTS = reverse("admin:providers_webhookevent_changelist")
State = WebhookEvent.State
Type = WebhookEvent.Type


def endpoint_page(endpoint):
    return reverse("admin:providers_endpoint_change", args=[endpoint.pk])


def event_page(event):
    return reverse("admin:providers_webhookevent_change", args=[event.pk])


def shown_secrets(response) -> list[str]:
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return SECRET_IN_PAGE.findall(response.content.decode())


@pytest.fixture
def provider(db):
    return make_provider(code="W0099", name="NTT西日本(試験用)")


def make_event(provider, line, *, state=State.PENDING, **fields) -> WebhookEvent:
    application = make_application(line, [provider], state="completed", wants_mail=False)
    return WebhookEvent.objects.create(
        provider=provider,
        line=line,
        application_item=application.items.get(),
        type=Type.ENABLED,
        webhook_id=f"msg_{WebhookEvent.objects.count():032x}",
        data={"customer_id": line.customer_id, "provider_code": provider.code},
        state=state,
        **fields,
    )


# --- registering an endpoint ----------------------------------------------------------------


def test_registering_an_endpoint_shows_its_secret_once(admin_client, provider):
    assert admin_client.get(REGISTER).status_code == 200
    response = admin_client.post(
        REGISTER, {"provider": provider.pk, "url": "http://127.0.0.1:8001/hooks/wso"}
    )
    [secret] = shown_secrets(response)
    content = response.content.decode()
    assert "この画面でのみ表示されます" in content and "再表示はできません" in content

    endpoint = Endpoint.objects.get()
    assert endpoint.provider == provider and endpoint.url == "http://127.0.0.1:8001/hooks/wso"
    assert signing_secrets(endpoint) == [secret]
    assert secret.startswith("whsec_")

    [entry] = LogEntry.objects.filter(object_id=str(endpoint.pk))
    assert entry.is_addition()
    assert secret not in entry.object_repr + entry.change_message
    for session in Session.objects.all():
        assert secret not in str(session.get_decoded())
    provider_page = reverse("admin:notification_serviceprovider_change", args=[provider.pk])
    for page in [ENDPOINTS, endpoint_page(endpoint), provider_page]:
        body = admin_client.get(page).content.decode()
        assert secret not in body, page
        assert secret[:10] + "…" in body or page == provider_page, page
        assert "127.0.0.1:8001" in body, page


def test_changing_the_url_keeps_the_secret_and_shows_none(admin_client, provider):
    endpoint, secret = register_endpoint(provider, "http://127.0.0.1:8001/a")
    response = admin_client.post(
        endpoint_page(endpoint), endpoint_form(endpoint, "http://127.0.0.1:8002/b")
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == "http://127.0.0.1:8002/b"
    assert signing_secrets(endpoint) == [secret]
    assert EndpointSecret.objects.count() == 1
    assert LogEntry.objects.filter(object_id=str(endpoint.pk)).get().is_change()
    assert secret not in admin_client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1/", "通知先URLは https:// で始まるURLにしてください。"),
        (
            "https://10.0.0.1/",
            "通知先URLのホストは公開されていないアドレス (10.0.0.1) を指しています。",
        ),
        (
            "https://127.0.0.1/",
            "通知先URLのホストは公開されていないアドレス (127.0.0.1) を指しています。",
        ),
    ],
)
def test_production_refuses_a_url_that_is_not_public_next_to_the_field(
    admin_client, provider, settings, url, message
):
    settings.WSO_WEBHOOK_ALLOW_PRIVATE = False
    response = admin_client.post(REGISTER, {"provider": provider.pk, "url": url})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"url": [message]}
    assert message in response.content.decode()
    assert not shown_secrets(response)
    assert not Endpoint.objects.exists() and not EndpointSecret.objects.exists()


def test_a_changed_url_is_checked_too(admin_client, provider, settings):
    endpoint, _ = register_endpoint(provider, "http://127.0.0.1:8001/a")
    settings.WSO_WEBHOOK_ALLOW_PRIVATE = False
    response = admin_client.post(
        endpoint_page(endpoint), endpoint_form(endpoint, "https://10.0.0.1/")
    )
    assert response.status_code == 200
    assert "公開されていないアドレス (10.0.0.1)" in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.url == "http://127.0.0.1:8001/a"


def test_a_provider_has_one_endpoint(admin_client, provider):
    register_endpoint(provider, "http://127.0.0.1:8001/a")
    response = admin_client.post(REGISTER, {"provider": provider.pk, "url": "http://127.0.0.1/b"})
    assert response.status_code == 200
    assert not shown_secrets(response)
    assert Endpoint.objects.get().url == "http://127.0.0.1:8001/a"


def test_the_providers_page_shows_its_endpoint_or_a_link_to_register_one(admin_client, provider):
    page = reverse("admin:notification_serviceprovider_change", args=[provider.pk])
    assert f'href="{REGISTER}?provider={provider.pk}"' in admin_client.get(page).content.decode()
    endpoint, _ = register_endpoint(provider, "http://127.0.0.1:8001/hooks")
    content = admin_client.get(page).content.decode()
    assert f'href="{endpoint_page(endpoint)}"' in content
    assert "http://127.0.0.1:8001/hooks" in content


# --- 署名鍵を更新 ---------------------------------------------------------------------------


def test_rotating_asks_first_then_shows_the_new_secret_once_and_both_sign(
    admin_client, provider, settings
):
    settings.WSO_WEBHOOK_SECRET_OVERLAP_SECONDS = 3600
    endpoint, old = register_endpoint(provider, "http://127.0.0.1:8001/a")
    page = admin_client.get(endpoint_page(endpoint)).content.decode()
    rotate = reverse("admin:providers_endpoint_rotate", args=[endpoint.pk])
    assert f'href="{rotate}"' in page and "署名鍵を更新" in page

    asked = admin_client.get(rotate)
    assert asked.status_code == 200 and "1時間" in asked.content.decode()
    assert signing_secrets(endpoint) == [old]

    before = timezone.now()
    response = admin_client.post(rotate, {"confirm": "yes"})
    [new] = shown_secrets(response)
    assert new != old
    assert signing_secrets(endpoint) == [new, old]
    ends = EndpointSecret.objects.get(secret=old).expires_at
    assert before + timedelta(seconds=3600) <= ends <= timezone.now() + timedelta(seconds=3600)
    assert "まで新しい署名鍵と並んで署名に使われます" in response.content.decode()
    assert LogEntry.objects.filter(
        object_id=str(endpoint.pk), change_message="署名鍵を更新しました"
    ).exists()

    for url in [ENDPOINTS, endpoint_page(endpoint)]:
        body = admin_client.get(url).content.decode()
        assert new not in body and old not in body
        assert new[:10] + "…" in body and old[:10] + "…" in body


def test_the_rotate_action_asks_first_then_rotates(admin_client, provider):
    endpoint, old = register_endpoint(provider, "http://127.0.0.1:8001/a")
    data = {"action": "rotate_secrets", "_selected_action": [endpoint.pk]}
    asked = admin_client.post(ENDPOINTS, data)
    assert asked.status_code == 200 and "署名鍵の更新" in asked.content.decode()
    assert EndpointSecret.objects.count() == 1
    [new] = shown_secrets(admin_client.post(ENDPOINTS, {**data, "confirm": "yes"}))
    assert signing_secrets(endpoint) == [new, old]


# --- テスト送信 -----------------------------------------------------------------------------


def test_a_test_event_reaches_a_real_server_and_the_outcome_is_reported(
    admin_client, provider, receiver
):
    receiver.answer(Answer(status=204))
    endpoint, _ = register_endpoint(provider, receiver.url)
    test = reverse("admin:providers_endpoint_test", args=[endpoint.pk])
    assert admin_client.get(test).status_code == 200
    assert not receiver.received  # asking is not sending

    response = admin_client.post(test, follow=True)
    [attempt] = DeliveryAttempt.objects.all()
    assert attempt.status_code == 204 and attempt.succeeded
    assert attempt.event.type == Type.TEST and attempt.event.state == State.DELIVERED
    [sent] = receiver.received
    assert sent.headers["webhook-id"] == attempt.event.webhook_id
    [message] = [str(m) for m in response.context["messages"]]
    assert message == (f"W0099 へテスト送信しました (ステータス 204、{attempt.latency_ms}ミリ秒)。")
    assert LogEntry.objects.filter(
        object_id=str(endpoint.pk), change_message__startswith="テスト送信しました"
    ).exists()


def test_a_failed_test_event_is_reported_with_its_error(admin_client, provider, receiver):
    receiver.answer(Answer(status=500))
    endpoint, _ = register_endpoint(provider, receiver.url)
    response = admin_client.post(
        ENDPOINTS, {"action": "send_test_events", "_selected_action": [endpoint.pk]}, follow=True
    )
    [attempt] = DeliveryAttempt.objects.all()
    assert attempt.status_code == 500
    assert attempt.event.state == State.FAILED
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("W0099 へのテスト送信は失敗しました (HTTP 500、")


# --- events ---------------------------------------------------------------------------------


def test_events_are_filtered_by_state_and_type(admin_client, provider):
    line = make_line()
    pending = make_event(provider, line)
    failed = make_event(provider, line, state=State.FAILED, attempts=8, last_error="HTTP 500")
    delivered = make_event(provider, line, state=State.DELIVERED, delivered_at=timezone.now())

    def listed(**params):
        response = admin_client.get(EVENTS, params)
        assert response.status_code == 200
        return {event.pk for event in response.context["cl"].result_list}

    assert listed() == {pending.pk, failed.pk, delivered.pk}
    assert listed(state__exact="failed") == {failed.pk}
    assert listed(state__exact="pending") == {pending.pk}
    assert listed(type__exact="notification.test") == set()
    content = admin_client.get(EVENTS).content.decode()
    assert "?state__exact=failed" in content and "送信失敗" in content
    # The フレッツナンバー is on the event's page: the list keeps to what fits 1280 px.
    assert line.customer_id in content and "W0099" in content


def test_events_are_found_by_line_provider_and_webhook_id(admin_client, provider):
    line, other_line = make_line(), make_line()
    event = make_event(provider, line)
    other = make_event(make_provider(code="C0301"), other_line)

    def found(term):
        response = admin_client.get(EVENTS, {"q": term})
        return {e.pk for e in response.context["cl"].result_list}

    assert found(line.flets_number) == {event.pk}
    assert found(f"{line.flets_number[:3]}-{line.flets_number[3:7]}-{line.flets_number[7:]}") == {
        event.pk
    }
    assert found(other_line.customer_id) == {other.pk}
    assert found("w0099") == {event.pk}
    assert found(other.webhook_id) == {other.pk}
    assert found("NTT西日本") == {event.pk}


def test_an_event_shows_its_attempts_and_is_view_only(admin_client, provider):
    line = make_line()
    event = make_event(provider, line, state=State.FAILED, attempts=2)
    now = timezone.now()
    DeliveryAttempt.objects.create(event=event, at=now, status_code=500, latency_ms=12)
    DeliveryAttempt.objects.create(
        event=event, at=now, latency_ms=3001, error="タイムアウトしました。"
    )
    content = admin_client.get(event_page(event)).content.decode()
    for text in ("送信記録", "500", "12", "3001", "タイムアウトしました。", event.webhook_id):
        assert text in content
    assert 'value="再送"' in content
    redeliver = reverse("admin:providers_webhookevent_redeliver", args=[event.pk])
    assert f'formaction="{redeliver}"' in content
    assert admin_client.post(event_page(event), {"state": "delivered"}).status_code == 403
    event.refresh_from_db()
    assert event.state == State.FAILED


def test_redelivering_a_failed_event_makes_it_pending_and_due(admin_client, provider):
    line = make_line()
    later = timezone.now() + timedelta(hours=5)
    event = make_event(provider, line, state=State.FAILED, attempts=8, next_attempt_at=later)
    redeliver = reverse("admin:providers_webhookevent_redeliver", args=[event.pk])

    admin_client.get(redeliver)  # a GET changes nothing
    event.refresh_from_db()
    assert event.state == State.FAILED

    before = timezone.now()
    response = admin_client.post(redeliver, follow=True)
    event.refresh_from_db()
    assert event.state == State.PENDING
    assert before <= event.next_attempt_at <= timezone.now()
    assert event.attempts == 8
    [message] = [str(m) for m in response.context["messages"]]
    assert "1件の即時通知を再送待ちにしました" in message and "ワーカーが次の巡回" in message
    assert LogEntry.objects.filter(
        object_id=str(event.pk), change_message="再送を指示しました"
    ).exists()


def test_the_redeliver_action_hands_back_every_selected_event(admin_client, provider):
    line = make_line()
    later = timezone.now() + timedelta(hours=5)
    events = [
        make_event(provider, line, state=State.FAILED, next_attempt_at=later) for _ in range(2)
    ]
    untouched = make_event(provider, line, state=State.FAILED, next_attempt_at=later)
    response = admin_client.post(
        EVENTS,
        {"action": "redeliver_events", "_selected_action": [e.pk for e in events]},
        follow=True,
    )
    assert "2件の即時通知を再送待ちにしました" in response.content.decode()
    due = WebhookEvent.objects.filter(state=State.PENDING, next_attempt_at__lte=timezone.now())
    assert set(due.values_list("pk", flat=True)) == {e.pk for e in events}
    untouched.refresh_from_db()
    assert untouched.state == State.FAILED


def test_a_staff_member_needs_the_change_permission_to_redeliver_rotate_or_test(client, provider):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    endpoint, _ = register_endpoint(provider, "http://127.0.0.1:8001/a")
    event = make_event(provider, make_line(), state=State.FAILED)
    viewer = get_user_model().objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(codename__in=["view_endpoint", "view_webhookevent"])
    )
    client.force_login(viewer)
    assert 'value="再送"' not in client.get(event_page(event)).content.decode()
    for name, obj in [
        ("admin:providers_webhookevent_redeliver", event),
        ("admin:providers_endpoint_rotate", endpoint),
        ("admin:providers_endpoint_test", endpoint),
    ]:
        assert client.post(reverse(name, args=[obj.pk]), {"confirm": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.state == State.FAILED
    assert EndpointSecret.objects.count() == 1
    assert not DeliveryAttempt.objects.exists()


def test_the_event_list_loads_in_a_fixed_number_of_queries(admin_client, provider):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    line = make_line()
    make_event(provider, line)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(EVENTS).status_code == 200
        return len(queries)

    few = count()
    for _ in range(10):
        make_event(make_provider(), make_line())
    assert count() == few
