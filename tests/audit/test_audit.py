"""The operators' audit log: every operator action that changes data writes exactly one entry, with
no secret in it; the entries outlive the operator; neither the model nor the database lets one be
changed or deleted; the admin shows them view-only and finds them; admin logins, logouts and
failed logins are recorded."""

import json
import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.models import AppendOnly, AuditEntry
from notification.models import Application
from notification.work import run_due_work
from providers.models import ProviderKey, WebhookEvent
from providers.webhooks import register_endpoint
from wso_portal.models import Announcement, Lockout, SubscriberLine

from ..factories import endpoint_form, make_application, make_key, make_line, make_provider
from ..notification.test_mail import FLAKY, FlakyBackend
from ..providers.receiver import Answer, start_receiver

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action
ACCESS_KEY_IN_PAGE = re.compile(r'<code class="access-key"[^>]*>([A-Z0-9]+)</code>')
API_KEY_IN_PAGE = re.compile(r'<code class="api-key"[^>]*>(wso_[A-Za-z0-9_-]+)</code>')
SECRET_IN_PAGE = re.compile(r'<code class="signing-secret">(whsec_[A-Za-z0-9+/=]+)</code>')
PASSWORD = "operator-pass-2026"  # the operator fixture's


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def recorded():
    """What the operator did: every entry but the test client's own login."""
    return list(AuditEntry.objects.exclude(action=Action.LOGIN).order_by("id"))


def the_entry(action, target):
    """The one entry of the request, and that it is about `target`, by the operator."""
    [entry] = recorded()
    assert entry.action == action
    assert (entry.target_type, entry.target_id) == (target._meta.label, str(target.pk))
    assert entry.target_repr == str(target)[:200]
    assert entry.operator == "operator" and entry.operator_pk is not None
    assert entry.client_address == "127.0.0.1"
    return entry


def assert_kept_nowhere(secret):
    assert secret
    for entry in AuditEntry.objects.all():
        text = json.dumps(entry.details, ensure_ascii=False)
        assert secret not in text + entry.target_repr + entry.operator


@pytest.fixture
def provider(db):
    return make_provider(code="W0099", name="NTT西日本(試験用)")


# --- 回線とロック ----------------------------------------------------------------------------


def test_reissuing_an_access_key_is_recorded_without_the_key(admin_client):
    line = make_line()
    response = admin_client.post(
        changelist(SubscriberLine),
        {"action": "reissue_access_keys", "_selected_action": [line.pk], "confirm": "yes"},
    )
    [key] = ACCESS_KEY_IN_PAGE.findall(response.content.decode())
    the_entry(Action.REISSUE_ACCESS_KEY, line)
    assert_kept_nowhere(key)


def test_asking_to_reissue_records_nothing(admin_client):
    line = make_line()
    admin_client.post(
        changelist(SubscriberLine),
        {"action": "reissue_access_keys", "_selected_action": [line.pk]},
    )
    assert recorded() == []


def test_creating_a_line_is_recorded_once_without_its_key(admin_client):
    response = admin_client.post(
        reverse("admin:wso_portal_subscriberline_add"),
        {
            "flets_number": "06655550001",
            "customer_id": "CAF5555000001",
            "ipv6_prefix": "2001:db8:5555::/56",
            "status": "active",
        },
    )
    [key] = ACCESS_KEY_IN_PAGE.findall(response.content.decode())
    entry = the_entry(Action.ADD, SubscriberLine.objects.get())
    assert entry.details == {"changes": [{"added": {}}]}
    assert_kept_nowhere(key)


def test_lifting_a_lock_is_recorded(admin_client):
    later = timezone.now() + timedelta(minutes=10)
    lock = Lockout.objects.create(kind=Lockout.Kind.LINE, key="06600000001", until=later)
    Lockout.objects.create(kind=Lockout.Kind.LINE, key="06600000002", until=timezone.now())
    admin_client.post(
        changelist(Lockout),
        {"action": "lift", "_selected_action": list(Lockout.objects.values_list("pk", flat=True))},
    )
    assert Lockout.objects.get(pk=lock.pk).until <= timezone.now()
    entry = the_entry(Action.LIFT_LOCK, lock)  # the lock that had ended is not lifted again
    assert parse_datetime(entry.details["locked_until"]) == later.replace(
        microsecond=later.microsecond // 1000 * 1000
    )


# --- 申込 --------------------------------------------------------------------------------------


def act_on_applications(client, action, application):
    return client.post(
        changelist(Application), {"action": action, "_selected_action": [application.pk]}
    )


def test_cancelling_an_application_is_recorded_once(admin_client, alice, provider):
    application = make_application(alice, [provider], due_in=3600)
    act_on_applications(admin_client, "cancel", application)
    entry = the_entry(Action.CANCEL_APPLICATION, application)
    assert entry.details["state"] == Application.State.CANCELLED
    assert LogEntry.objects.count() == 1, "the object's history keeps its LogEntry"


def test_applying_now_is_recorded_once(admin_client, alice, provider):
    application = make_application(alice, [provider], due_in=3600)
    act_on_applications(admin_client, "apply_now", application)
    entry = the_entry(Action.APPLY_NOW, application)
    assert entry.details["state"] == Application.State.COMPLETED


def test_an_action_refused_for_an_application_records_nothing(admin_client, alice, provider):
    application = make_application(alice, [provider], state="completed")
    act_on_applications(admin_client, "cancel", application)
    assert recorded() == []


def test_retrying_the_mail_is_recorded_once(admin_client, alice, provider, settings):
    application = make_application(alice, [provider], email="failed@example.jp")
    settings.EMAIL_BACKEND, FlakyBackend.failures = FLAKY, 1
    settings.WSO_MAIL_MAX_ATTEMPTS = 1
    run_due_work()
    mail.outbox.clear()
    act_on_applications(admin_client, "retry_mail", application)
    entry = the_entry(Action.RETRY_MAIL, application)
    assert entry.details["mail_state"] == Application.MailState.PENDING


# --- APIキー -----------------------------------------------------------------------------------


def test_issuing_an_api_key_is_recorded_without_the_key(admin_client, provider):
    response = admin_client.post(
        reverse("admin:providers_providerkey_add"), {"provider": provider.pk}
    )
    [plain] = API_KEY_IN_PAGE.findall(response.content.decode())
    entry = the_entry(Action.ISSUE_API_KEY, ProviderKey.objects.get())
    assert entry.details == {"provider": "W0099"}
    assert_kept_nowhere(plain)


def test_revoking_an_api_key_is_recorded_once(admin_client, provider):
    key, plain = make_key(provider)
    admin_client.post(
        reverse("admin:providers_providerkey_revoke", args=[key.pk]), {"confirm": "yes"}
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
    the_entry(Action.REVOKE_API_KEY, key)
    assert_kept_nowhere(plain)


# --- 通知先URLと即時通知 ----------------------------------------------------------------------


def test_registering_an_endpoint_is_recorded_once_without_its_secret(admin_client, provider):
    response = admin_client.post(
        reverse("admin:providers_endpoint_add"),
        {"provider": provider.pk, "url": "http://127.0.0.1:8001/hooks/wso"},
    )
    [secret] = SECRET_IN_PAGE.findall(response.content.decode())
    entry = the_entry(Action.REGISTER_ENDPOINT, provider.endpoint)
    assert entry.details == {"provider": "W0099", "url": "http://127.0.0.1:8001/hooks/wso"}
    assert_kept_nowhere(secret)


def test_changing_an_endpoint_is_recorded_once(admin_client, provider):
    endpoint, secret = register_endpoint(provider, "http://127.0.0.1:8001/a")
    response = admin_client.post(
        reverse("admin:providers_endpoint_change", args=[endpoint.pk]),
        endpoint_form(endpoint, "http://127.0.0.1:8002/b"),
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    entry = the_entry(Action.CHANGE_ENDPOINT, endpoint)
    assert entry.details == {
        "provider": "W0099",
        "url_before": "http://127.0.0.1:8001/a",
        "url": "http://127.0.0.1:8002/b",
    }
    assert_kept_nowhere(secret)


def test_rotating_a_signing_secret_is_recorded_without_either_secret(admin_client, provider):
    endpoint, old = register_endpoint(provider, "http://127.0.0.1:8001/a")
    response = admin_client.post(
        reverse("admin:providers_endpoint_rotate", args=[endpoint.pk]), {"confirm": "yes"}
    )
    [new] = SECRET_IN_PAGE.findall(response.content.decode())
    the_entry(Action.ROTATE_SECRET, endpoint)
    assert_kept_nowhere(new)
    assert_kept_nowhere(old)


def test_a_test_send_is_recorded_with_its_outcome(admin_client, provider):
    receiver = start_receiver()
    try:
        receiver.answer(Answer(status=204))
        endpoint, secret = register_endpoint(provider, receiver.url)
        admin_client.post(reverse("admin:providers_endpoint_test", args=[endpoint.pk]))
    finally:
        receiver.close()
    entry = the_entry(Action.SEND_TEST, endpoint)
    assert (entry.details["succeeded"], entry.details["status_code"]) == (True, 204)
    assert_kept_nowhere(secret)


def test_redelivering_an_event_is_recorded_once(admin_client, provider):
    line = make_line()
    event = WebhookEvent.objects.create(
        provider=provider,
        line=line,
        type=WebhookEvent.Type.ENABLED,
        webhook_id=f"msg_{line.pk:032x}",
        data={},
        state=WebhookEvent.State.FAILED,
    )
    admin_client.post(reverse("admin:providers_webhookevent_redeliver", args=[event.pk]))
    entry = the_entry(Action.REDELIVER_EVENT, event)
    assert entry.details == {"provider": "W0099", "state_before": "failed"}


# --- the admin's ordinary add, change and delete ---------------------------------------------


def announcement_form(text):
    return {
        "text": text,
        "publish_from_0": "2026-12-01",
        "publish_from_1": "10:00:00",
        "publish_until_0": "",
        "publish_until_1": "",
    }


def test_an_ordinary_add_change_and_delete_are_recorded_once_each(admin_client):
    admin_client.post(reverse("admin:wso_portal_announcement_add"), announcement_form("お知らせ"))
    announcement = Announcement.objects.get()
    the_entry(Action.ADD, announcement)

    change = reverse("admin:wso_portal_announcement_change", args=[announcement.pk])
    admin_client.post(change, announcement_form("メンテナンスのお知らせ"))
    announcement.refresh_from_db()
    _, changed = recorded()
    assert (changed.action, changed.target_id) == (Action.CHANGE, str(announcement.pk))
    [change_message] = changed.details["changes"]
    assert "本文" in change_message["changed"]["fields"]

    delete = reverse("admin:wso_portal_announcement_delete", args=[announcement.pk])
    admin_client.post(delete, {"post": "yes"})
    assert not Announcement.objects.exists()
    *_, deleted = recorded()
    assert (deleted.action, deleted.target_id) == (Action.DELETE, str(announcement.pk))
    assert deleted.target_repr == "メンテナンスのお知らせ"
    assert len(recorded()) == 3


def test_the_delete_action_records_each_object(admin_client):
    announcements = [Announcement.objects.create(text=f"お知らせ{n}") for n in range(2)]
    admin_client.post(
        changelist(Announcement),
        {
            "action": "delete_selected",
            "_selected_action": [a.pk for a in announcements],
            "post": "yes",
        },
    )
    assert not Announcement.objects.exists()
    assert sorted((e.action, e.target_id) for e in recorded()) == sorted(
        (Action.DELETE, str(a.pk)) for a in announcements
    )


def test_changing_an_operators_password_records_the_field_not_the_password(admin_client):
    other = get_user_model().objects.create_user("staff2", password="old-pass-2026", is_staff=True)
    admin_client.post(
        reverse("admin:auth_user_password_change", args=[other.pk]),
        {"password1": "New-pass-2026-x", "password2": "New-pass-2026-x", "usable_password": "true"},
    )
    other.refresh_from_db()
    assert other.check_password("New-pass-2026-x")
    the_entry(Action.CHANGE, other)
    assert_kept_nowhere("New-pass-2026-x")


# --- outliving the operator, append-only -------------------------------------------------------


def test_entries_outlive_the_operator(admin_client, operator):
    line = make_line()
    admin_client.post(
        changelist(SubscriberLine),
        {"action": "reissue_access_keys", "_selected_action": [line.pk], "confirm": "yes"},
    )
    operator_pk = operator.pk
    operator.delete()
    assert not LogEntry.objects.exists(), "Django's own log goes with the operator"
    entry = the_entry(Action.REISSUE_ACCESS_KEY, line)
    assert entry.operator_pk == operator_pk


def test_the_model_refuses_to_change_or_delete_an_entry():
    entry = AuditEntry.objects.create(action=Action.LOGIN, operator="operator")
    entry.operator = "someone-else"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(operator="someone-else")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    copy = AuditEntry(pk=entry.pk, action=Action.LOGOUT, operator="someone-else")
    with pytest.raises(DatabaseError), transaction.atomic():
        copy.save()  # an insert, never an update of the row with that id
    assert AuditEntry.objects.get().operator == "operator"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET operator = 'someone-else'",
        "DELETE FROM audit_auditentry",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_entry(sql):
    AuditEntry.objects.create(action=Action.LOGIN, operator="operator")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEntry.objects.get().operator == "operator"


# --- the admin's view ------------------------------------------------------------------------


def test_the_log_is_view_only_even_for_a_superuser(admin_client):
    entry = AuditEntry.objects.create(action=Action.LOGIN, operator="operator")
    page = admin_client.get(changelist(AuditEntry))
    assert page.status_code == 200
    assert "delete_selected" not in page.content.decode()
    assert admin_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])
    assert admin_client.get(change).status_code == 200
    assert 'name="operator"' not in admin_client.get(change).content.decode()
    assert admin_client.post(change, {"operator": "x", "action": "logout"}).status_code == 403
    delete = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).operator == "operator"


def test_the_log_is_found_by_operator_action_and_target(admin_client):
    line = make_line()
    admin_client.post(
        changelist(SubscriberLine),
        {"action": "reissue_access_keys", "_selected_action": [line.pk], "confirm": "yes"},
    )
    reissue = AuditEntry.objects.get(action=Action.REISSUE_ACCESS_KEY)
    failed = AuditEntry.objects.create(action=Action.LOGIN_FAILED, operator="mallory")

    def found(term, **params):
        response = admin_client.get(changelist(AuditEntry), {"q": term, **params})
        assert response.status_code == 200
        return {entry.pk for entry in response.context["cl"].result_list}

    assert found("mallory") == {failed.pk}
    assert found("ログイン失敗") == {failed.pk}
    assert found("アクセスキーを再発行") == {reissue.pk}
    assert found(line.flets_number) == {reissue.pk}
    assert found(str(line.pk)) >= {reissue.pk}
    assert found("", action__exact="login_failed") == {failed.pk}
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    assert reissue.pk in found("", at__gte=str(today))


# --- admin logins --------------------------------------------------------------------------------


def test_an_admin_login_logout_and_failed_login_are_recorded(operator):
    client = Client()
    login = reverse("admin:login")
    response = client.post(login, {"username": "operator", "password": "wrong-pass-2026"})
    assert response.status_code == 200
    [failed] = AuditEntry.objects.all()
    assert (failed.action, failed.operator, failed.operator_pk) == (
        Action.LOGIN_FAILED,
        "operator",
        None,
    )
    assert failed.client_address == "127.0.0.1"
    assert_kept_nowhere("wrong-pass-2026")

    response = client.post(login, {"username": "operator", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    client.post(reverse("admin:logout"))
    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.action, e.operator, e.operator_pk) for e in entries] == [
        (Action.LOGIN_FAILED, "operator", None),
        (Action.LOGIN, "operator", operator.pk),
        (Action.LOGOUT, "operator", operator.pk),
    ]
    assert_kept_nowhere(PASSWORD)


def test_a_subscribers_login_is_not_in_the_operators_log(alice_client):
    assert alice_client.get("/").status_code == 200
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_emptying_the_whole_database_empties_the_log_and_keeps_it_append_only():
    """manage.py flush (and every transactional test's teardown) may still empty the log."""
    AuditEntry.objects.create(action=Action.LOGIN, operator="operator")
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEntry.objects.exists()
    AuditEntry.objects.create(action=Action.LOGIN, operator="operator")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")
    assert AuditEntry.objects.count() == 1
