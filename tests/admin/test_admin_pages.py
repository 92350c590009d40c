"""Small things operators trip over: the lock's state in words, アクセスキーを再発行 on the line's
page, the audit log's Japanese model names, 申込's list within 1280 px, a key shown once with a
copy button."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from tests.factories import make_application, make_provider
from wso_portal.models import Lockout

pytestmark = pytest.mark.django_db


def test_the_lock_says_in_words_whether_it_holds(admin_client):
    now = timezone.now()
    Lockout.objects.create(kind="line", key="06000000001", until=now + timedelta(minutes=5))
    Lockout.objects.create(kind="line", key="06000000002", until=now - timedelta(minutes=5))
    html = admin_client.get(reverse("admin:wso_portal_lockout_changelist")).content.decode()
    assert '<td class="field-is_active">ロック中</td>' in html
    assert '<td class="field-is_active">解除済み</td>' in html
    assert "icon-yes" not in html and "icon-no" not in html


def test_the_lines_page_offers_the_reissue_which_asks_first(admin_client, alice):
    page = admin_client.get(reverse("admin:wso_portal_subscriberline_change", args=[alice.pk]))
    html = page.content.decode()
    changelist = reverse("admin:wso_portal_subscriberline_changelist")
    assert f'<form method="post" action="{changelist}" class="object-tool-form">' in html
    assert '<input type="hidden" name="action" value="reissue_access_keys">' in html
    assert f'<input type="hidden" name="_selected_action" value="{alice.pk}">' in html
    confirm = admin_client.post(
        changelist, {"action": "reissue_access_keys", "_selected_action": [alice.pk]}
    )
    assert "次の回線のアクセスキーを再発行します。" in confirm.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REISSUE_ACCESS_KEY).exists()


def test_the_audit_log_names_models_in_japanese(admin_client, alice):
    AuditEntry.objects.create(
        operator="operator",
        action=AuditEntry.Action.REISSUE_ACCESS_KEY,
        target_type="wso_portal.SubscriberLine",
        target_id=str(alice.pk),
        target_repr=str(alice),
    )
    AuditEntry.objects.create(operator="x", action="change", target_type="gone.Model")
    html = admin_client.get(reverse("admin:audit_auditentry_changelist")).content.decode()
    assert '<td class="field-target_kind">回線</td>' in html
    assert "wso_portal.SubscriberLine" not in html
    assert '<td class="field-target_kind">gone.Model</td>' in html  # a model since removed
    assert "column-client_address" not in html  # on the entry's page


def test_the_application_list_keeps_to_what_fits(admin_client, alice):
    make_application(alice, [make_provider()])
    html = admin_client.get(reverse("admin:notification_application_changelist")).content.decode()
    assert "column-mail_state" in html
    assert "column-line_flets_number" not in html and "column-due_at" not in html


def test_an_issued_access_key_has_a_copy_button(admin_client, alice):
    response = admin_client.post(
        reverse("admin:wso_portal_subscriberline_changelist"),
        {"action": "reissue_access_keys", "_selected_action": [alice.pk], "confirm": "yes"},
    )
    html = response.content.decode()
    assert '<code class="access-key" id="access-key-1">' in html
    assert (
        '<button type="button" class="button" data-copy="#access-key-1" hidden>コピー</button>'
        in html
    )
    assert "/static/js/admin-copy.js" in html


def test_every_admin_page_loads_the_portals_admin_styles(admin_client):
    assert "/static/css/admin.css" in admin_client.get(reverse("admin:index")).content.decode()
