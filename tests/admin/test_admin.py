"""Operators' admin: every page loads in a fixed number of queries, search finds lines and
providers, and access keys are issued and re-issued without ever being kept or shown twice."""

import itertools
import logging
import re

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements.models import Acceptance, AgreementVersion
from audit.models import AuditEntry
from console.services import create_provider_user
from notification.models import BlockedMailDomain, NotificationSetting, ServiceProvider
from ops.models import Heartbeat
from providers.models import WebhookEvent
from providers.webhooks import register_endpoint
from wso_portal.access_keys import ALPHABET, KEY_LENGTH
from wso_portal.models import (
    Announcement,
    Lockout,
    LoginAttempt,
    Service,
    ServiceContract,
    SubscriberLine,
)

from ..factories import (
    make_application,
    make_disclosure,
    make_key,
    make_line,
    make_provider,
    set_notify,
)

pytestmark = pytest.mark.django_db

KEY_IN_PAGE = re.compile(r'<code class="access-key"[^>]*>([A-Z0-9]+)</code>')
_versions = itertools.count(1)


def populate(count: int) -> None:
    """A few rows of every model, each row pointing at others, as the list pages show them."""
    for _ in range(count):
        version = AgreementVersion.objects.create(
            version=next(_versions), title="同意書", body="A. 提供事業者"
        )
        line, provider = make_line(), make_provider()
        set_notify(line, provider)
        ServiceContract.objects.create(line=line, service=Service.objects.get(code="security"))
        Acceptance.objects.create(line=line, version=version)
        make_application(line, [provider], agreement=version)
        Announcement.objects.create(text="お知らせ")
        LoginAttempt.objects.create(
            flets_number=line.flets_number, client_address="::1", succeeded=False, reason="x"
        )
        Lockout.objects.create(kind=Lockout.Kind.LINE, key=line.flets_number, until=timezone.now())
        BlockedMailDomain.objects.create(domain=f"m{line.pk}.example.jp")
        Group.objects.create(name=f"運用者{line.pk}")
        make_disclosure(line, provider, make_key(provider)[0])
        register_endpoint(provider, f"http://127.0.0.1:8001/{line.pk}")
        WebhookEvent.objects.create(
            provider=provider,
            line=line,
            type=WebhookEvent.Type.ENABLED,
            webhook_id=f"msg_{line.pk:032x}",
            data={},
        )
        Heartbeat.objects.create(
            worker=f"host:{line.pk}", loop="run_due_work", beat_at=timezone.now()
        )
        create_provider_user(provider, f"staff{line.pk}@example.jp")
        AuditEntry.objects.create(
            action=AuditEntry.Action.REISSUE_ACCESS_KEY,
            operator="operator",
            target_type="wso_portal.SubscriberLine",
            target_id=str(line.pk),
            target_repr=str(line),
        )


def registered_models():
    return sorted(admin.site._registry, key=lambda m: m._meta.label)


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_every_model_of_the_portal_is_in_the_admin():
    labels = {m._meta.label for m in registered_models()}
    assert {
        "wso_portal.SubscriberLine",
        "wso_portal.Service",
        "wso_portal.ServiceContract",
        "wso_portal.Announcement",
        "wso_portal.LoginAttempt",
        "wso_portal.Lockout",
        "notification.ServiceProvider",
        "notification.NotificationSetting",
        "notification.BlockedMailDomain",
        "agreements.AgreementVersion",
        "agreements.Acceptance",
        "providers.ProviderKey",
        "providers.Disclosure",
        "auth.User",
    } <= labels


def test_list_pages_load_in_a_number_of_queries_that_does_not_grow(admin_client):
    populate(2)
    urls = [changelist(model) for model in registered_models()]
    for url in urls:
        admin_client.get(url)  # the session and content types are warm from here on
    before = {url: count_queries(admin_client, url) for url in urls}
    populate(6)
    after = {url: count_queries(admin_client, url) for url in urls}
    assert after == before
    assert max(after.values()) <= 12, after


def test_add_and_change_pages_load(admin_client, django_assert_max_num_queries):
    populate(1)
    for model in registered_models():
        model_admin = admin.site._registry[model]
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, model
        with django_assert_max_num_queries(20):
            response = admin_client.get(reverse(f"{info}_change", args=[obj.pk]))
        assert response.status_code == 200, model
        if model_admin.has_add_permission(response.wsgi_request):
            with django_assert_max_num_queries(20):
                response = admin_client.get(reverse(f"{info}_add"))
            assert response.status_code == 200, model


def test_admin_is_in_japanese(admin_client):
    response = admin_client.get(changelist(SubscriberLine))
    content = response.content.decode()
    assert '<html lang="ja"' in content
    assert "フレッツナンバー" in content
    assert "アクセスキーを再発行" in content


# --- search ---------------------------------------------------------------------------------


def results(client, model, term):
    response = client.get(changelist(model), {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_lines_are_found_by_flets_number_and_customer_id(admin_client):
    alice, bob = make_line(), make_line()
    number = alice.flets_number
    assert results(admin_client, SubscriberLine, number) == [alice]
    dashed = f"{number[:3]}-{number[3:7]}-{number[7:]}"
    assert results(admin_client, SubscriberLine, dashed) == [alice]
    full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert results(admin_client, SubscriberLine, full_width) == [alice]
    assert results(admin_client, SubscriberLine, bob.customer_id) == [bob]
    assert results(admin_client, SubscriberLine, bob.customer_id.lower()) == [bob]
    assert results(admin_client, SubscriberLine, "06699999999") == []


def test_providers_are_found_by_code_and_name(admin_client):
    test = make_provider(code="W0099", name="NTT西日本(試験用)", service_name="試験用")
    game = make_provider(code="C0301", name="株式会社ネクストゲームズ", service_name="ゲーム")
    assert results(admin_client, ServiceProvider, "W0099") == [test]
    assert results(admin_client, ServiceProvider, "w0099") == [test]
    assert results(admin_client, ServiceProvider, "試験用") == [test]
    assert results(admin_client, ServiceProvider, "ネクストゲームズ") == [game]
    assert results(admin_client, ServiceProvider, "ゲーム") == [game]


def test_settings_are_found_by_line_and_provider(admin_client):
    alice, bob = make_line(), make_line()
    test = make_provider(code="W0099", name="NTT西日本(試験用)")
    other = make_provider(code="A0101", name="株式会社さくらボイス")
    a_test, b_other = set_notify(alice, test), set_notify(bob, other)
    assert results(admin_client, NotificationSetting, alice.flets_number) == [a_test]
    assert results(admin_client, NotificationSetting, bob.customer_id) == [b_other]
    assert results(admin_client, NotificationSetting, "W0099") == [a_test]
    assert results(admin_client, NotificationSetting, "さくらボイス") == [b_other]


def test_settings_are_filtered_by_notify(admin_client):
    line = make_line()
    on = set_notify(line, make_provider())
    off = set_notify(line, make_provider(), notify=False)
    response = admin_client.get(changelist(NotificationSetting), {"notify__exact": "1"})
    assert list(response.context["cl"].result_list) == [on]
    response = admin_client.get(changelist(NotificationSetting), {"notify__exact": "0"})
    assert list(response.context["cl"].result_list) == [off]


def test_lines_are_filtered_by_status(admin_client):
    make_line()
    suspended = make_line(status=SubscriberLine.Status.SUSPENDED)
    response = admin_client.get(changelist(SubscriberLine), {"status__exact": "suspended"})
    assert list(response.context["cl"].result_list) == [suspended]


# --- access keys ----------------------------------------------------------------------------


def issued_keys(response):
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return KEY_IN_PAGE.findall(response.content.decode())


def assert_key_kept_nowhere(key, queries, caplog):
    assert key not in caplog.text
    assert not [q["sql"] for q in queries if key in q["sql"]]
    for session in Session.objects.all():
        assert key not in str(session.get_decoded())
    for entry in LogEntry.objects.all():
        assert key not in entry.change_message


def test_it_reissues_the_access_key_and_shows_it_once(admin_client, caplog):
    caplog.set_level(logging.DEBUG)
    line, other = make_line(access_key="OLDK2345"), make_line(access_key="OTHR2345")
    url = changelist(SubscriberLine)
    form = {"action": "reissue_access_keys", "_selected_action": [line.pk]}

    response = admin_client.post(url, form)
    assert response.status_code == 200
    assert "再発行する" in response.content.decode()
    line.user.refresh_from_db()
    assert line.user.check_password("OLDK2345"), "asking for confirmation changes nothing"

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(url, {**form, "confirm": "yes"})
    [key] = issued_keys(response)
    assert len(key) == KEY_LENGTH and set(key) <= set(ALPHABET)
    assert "この画面でのみ表示されます" in response.content.decode()

    line.user.refresh_from_db()
    assert line.user.check_password(key)
    assert not line.user.check_password("OLDK2345")
    other.user.refresh_from_db()
    assert other.user.check_password("OTHR2345"), "only the selected line changes"
    assert key not in line.user.password

    for page in [
        url,
        reverse("admin:wso_portal_subscriberline_change", args=[line.pk]),
        reverse("admin:auth_user_change", args=[line.user.pk]),
        reverse("admin:auth_user_changelist"),
    ]:
        assert key not in admin_client.get(page).content.decode(), page
    assert_key_kept_nowhere(key, queries, caplog)


def test_reissuing_several_lines_gives_each_its_own_key(admin_client):
    lines = [make_line(), make_line(), make_line()]
    response = admin_client.post(
        changelist(SubscriberLine),
        {
            "action": "reissue_access_keys",
            "_selected_action": [line.pk for line in lines],
            "confirm": "yes",
        },
    )
    keys = issued_keys(response)
    assert len(set(keys)) == 3
    for line in lines:
        line.user.refresh_from_db()
    checks = [[line.user.check_password(key) for key in keys] for line in lines]
    assert sum(map(sum, checks)) == 3 and all(sum(row) == 1 for row in checks)


def test_creating_a_line_creates_its_login_and_shows_the_key_once(admin_client, caplog):
    caplog.set_level(logging.DEBUG)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(
            reverse("admin:wso_portal_subscriberline_add"),
            {
                "flets_number": "06655550001",
                "customer_id": "CAF5555000001",
                "ipv6_prefix": "2001:db8:5555::/56",
                "status": "active",
            },
        )
    [key] = issued_keys(response)
    line = SubscriberLine.objects.select_related("user").get(flets_number="06655550001")
    assert line.user.username == "06655550001"
    assert not line.user.is_staff
    assert line.user.check_password(key)
    assert line.user.password.startswith("md5$")  # the test settings' hasher: a hash, not the key
    assert LogEntry.objects.filter(object_id=str(line.pk)).exists()
    assert key not in admin_client.get(changelist(SubscriberLine)).content.decode()
    assert_key_kept_nowhere(key, queries, caplog)


def test_a_line_with_a_bad_number_is_not_created(admin_client):
    users = get_user_model().objects.count()
    response = admin_client.post(
        reverse("admin:wso_portal_subscriberline_add"),
        {
            "flets_number": "0665555000",
            "customer_id": "CAF555500001",
            "ipv6_prefix": "2001:db8:5555::1/56",
            "status": "active",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["flets_number"] == ["フレッツナンバーは半角数字11桁です。"]
    assert errors["customer_id"] == ["お客様IDは「CAF」と数字10桁です。"]
    assert errors["ipv6_prefix"] == ["IPv6プレフィックスの形式が正しくありません。"]
    assert not KEY_IN_PAGE.search(response.content.decode())
    assert get_user_model().objects.count() == users
    assert not SubscriberLine.objects.exists()


def test_a_line_whose_number_has_an_account_already_is_not_created(admin_client):
    existing = make_line()
    response = admin_client.post(
        reverse("admin:wso_portal_subscriberline_add"),
        {
            "flets_number": existing.flets_number,
            "customer_id": "CAF5555000009",
            "ipv6_prefix": "2001:db8:5555::/56",
            "status": "active",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["flets_number"]
    assert SubscriberLine.objects.count() == 1


def test_the_flets_number_of_an_existing_line_cannot_be_changed(admin_client):
    line = make_line()
    response = admin_client.post(
        reverse("admin:wso_portal_subscriberline_change", args=[line.pk]),
        {
            "flets_number": "06600000000",
            "customer_id": line.customer_id,
            "ipv6_prefix": line.ipv6_prefix,
            "status": "suspended",
        },
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == "suspended"
    assert line.flets_number == line.user.username != "06600000000"


def test_a_line_account_shows_no_password_and_cannot_get_one_by_hand(admin_client):
    line = make_line()
    response = admin_client.get(reverse("admin:auth_user_change", args=[line.user.pk]))
    content = response.content.decode()
    assert line.user.password not in content
    assert line.user.password.split("$")[-1][:6] not in content
    assert 'name="password"' not in content
    response = admin_client.get(reverse("admin:auth_user_password_change", args=[line.user.pk]))
    assert response.status_code == 403


def test_an_operator_password_can_still_be_changed(admin_client, operator):
    response = admin_client.get(reverse("admin:auth_user_password_change", args=[operator.pk]))
    assert response.status_code == 200


# --- validation in the admin forms ----------------------------------------------------------


def test_provider_code_is_checked_with_a_japanese_message(admin_client):
    response = admin_client.post(
        reverse("admin:notification_serviceprovider_add"),
        {"code": "W099", "name": "事業者", "service_name": "試験用", "active": "on"},
    )
    assert response.context["adminform"].form.errors["code"] == [
        "事業者コードは英大文字1字と数字4桁です (例: W0099)。"
    ]
    response = admin_client.post(
        reverse("admin:notification_serviceprovider_add"),
        {
            "code": "ｗ００９９",
            "name": "NTT西日本(試験用)",
            "service_name": "試験用",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert ServiceProvider.objects.get().code == "W0099"


def test_a_duplicate_setting_is_refused_by_the_admin_form(admin_client):
    line, provider = make_line(), make_provider()
    set_notify(line, provider)
    response = admin_client.post(
        reverse("admin:notification_notificationsetting_add"),
        {
            "line": line.pk,
            "provider": provider.pk,
            "notify": "on",
            "set_at_0": "2026-01-01",
            "set_at_1": "10:00:00",
            "set_via": "オペレータ設定",
        },
    )
    assert response.status_code == 200
    assert "既に存在します" in str(response.context["adminform"].form.errors)
    assert NotificationSetting.objects.count() == 1


def test_an_announcement_must_end_after_it_starts(admin_client):
    response = admin_client.post(
        reverse("admin:wso_portal_announcement_add"),
        {
            "text": "メンテナンスのお知らせ",
            "publish_from_0": "2026-12-01",
            "publish_from_1": "10:00:00",
            "publish_until_0": "2026-12-01",
            "publish_until_1": "09:00:00",
        },
    )
    assert response.context["adminform"].form.errors["publish_until"] == [
        "掲載終了は掲載開始より後の日時にしてください。"
    ]
    assert not Announcement.objects.exists()


# --- logins and locks -----------------------------------------------------------------------


def test_login_records_are_read_only(admin_client):
    populate(1)
    attempt = LoginAttempt.objects.get()
    response = admin_client.get(reverse("admin:wso_portal_loginattempt_add"))
    assert response.status_code == 403
    response = admin_client.post(
        reverse("admin:wso_portal_loginattempt_change", args=[attempt.pk]),
        {"flets_number": "x", "client_address": "::2", "reason": "y"},
    )
    assert response.status_code == 403
    attempt.refresh_from_db()
    assert attempt.flets_number != "x"


def test_a_lock_can_be_lifted(admin_client):
    line = make_line()
    later = timezone.now() + timezone.timedelta(minutes=10)
    lock = Lockout.objects.create(kind=Lockout.Kind.LINE, key=line.flets_number, until=later)
    response = admin_client.post(
        changelist(Lockout), {"action": "lift", "_selected_action": [lock.pk]}, follow=True
    )
    assert "1件のロックを解除しました。" in response.content.decode()
    lock.refresh_from_db()
    assert lock.until <= timezone.now()
    assert Lockout.objects.filter(pk=lock.pk).exists(), "the record stays for the history"


def test_reissuing_a_key_ends_the_subscribers_sessions(admin_client):
    from django.test import Client

    line = make_line()
    subscriber = Client()
    subscriber.force_login(line.user)
    assert subscriber.get("/").status_code == 200
    admin_client.post(
        changelist(SubscriberLine),
        {"action": "reissue_access_keys", "_selected_action": [line.pk], "confirm": "yes"},
    )
    response = subscriber.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


# --- agreements -----------------------------------------------------------------------------


def test_an_agreement_someone_accepted_cannot_be_rewritten(admin_client):
    version = AgreementVersion.objects.create(version=1, title="同意書", body="第1版の本文")
    url = reverse("admin:agreements_agreementversion_change", args=[version.pk])
    assert 'name="body"' in admin_client.get(url).content.decode(), "editable before use"
    Acceptance.objects.create(line=make_line(), version=version)
    assert 'name="body"' not in admin_client.get(url).content.decode()
    admin_client.post(url, {"version": 1, "title": "同意書", "body": "書き換え"})
    version.refresh_from_db()
    assert version.body == "第1版の本文"


def test_a_new_agreement_version_is_offered_the_next_number(admin_client):
    AgreementVersion.objects.create(version=3, title="同意書", body="本文")
    response = admin_client.get(reverse("admin:agreements_agreementversion_add"))
    assert response.context["adminform"].form.initial["version"] == 4


def test_acceptances_are_read_only(admin_client):
    version = AgreementVersion.objects.create(version=1, title="同意書", body="本文")
    acceptance = Acceptance.objects.create(line=make_line(), version=version)
    assert admin_client.get(reverse("admin:agreements_acceptance_add")).status_code == 403
    url = reverse("admin:agreements_acceptance_delete", args=[acceptance.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Acceptance.objects.filter(pk=acceptance.pk).exists()


def test_deleting_a_line_deletes_its_login(admin_client):
    kept, gone, also_gone = make_line(), make_line(), make_line()
    admin_client.post(
        reverse("admin:wso_portal_subscriberline_delete", args=[gone.pk]), {"post": "yes"}
    )
    admin_client.post(
        changelist(SubscriberLine),
        {"action": "delete_selected", "_selected_action": [also_gone.pk], "post": "yes"},
    )
    assert list(SubscriberLine.objects.all()) == [kept]
    assert list(get_user_model().objects.filter(line__isnull=True, is_staff=False)) == []


def test_a_line_with_applications_is_not_deleted(admin_client):
    line = make_line()
    make_application(line, [make_provider()])
    admin_client.post(
        reverse("admin:wso_portal_subscriberline_delete", args=[line.pk]), {"post": "yes"}
    )
    assert SubscriberLine.objects.filter(pk=line.pk).exists()
