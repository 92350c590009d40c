"""The demo fixture and `manage.py demo`: what QA logs in with must really work."""

import io
import json
import os
import re

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError

from agreements.models import Acceptance, AgreementVersion
from notification.models import (
    PROVIDER_CODE_PATTERN,
    Application,
    NotificationSetting,
    ServiceProvider,
)
from notification.work import apply_now
from providers.models import ProviderKey, hash_key
from wso_portal.management.commands.demo import (
    DEMO_LOGINS,
    DEMO_PK_END,
    DEMO_PK_START,
    DEMO_PROVIDER_KEY,
    FIXTURE,
    OPERATOR_PASSWORD,
    OPERATOR_USERNAME,
)
from wso_portal.models import (
    Announcement,
    Lockout,
    LoginAttempt,
    ServiceContract,
    ServiceStatus,
    SubscriberLine,
)
from wso_portal.status import usage_status

from ..factories import make_application, make_line

pytestmark = pytest.mark.django_db

ARGON2_FIRST = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
LOGIN_ROW = re.compile(r"^ ([0-9]{11}) +([A-Z0-9]{8}) ", re.MULTILINE)


@pytest.fixture
def argon2(settings):
    """The fixture's hashes are Argon2, as in development and production."""
    settings.PASSWORD_HASHERS = ARGON2_FIRST


def load_fixture():
    call_command("loaddata", str(FIXTURE), verbosity=0)


def run_demo(*args) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def snapshot():
    """Everything the demo consists of, to compare before and after."""
    return {
        "lines": list(SubscriberLine.objects.order_by("pk").values()),
        "settings": list(NotificationSetting.objects.order_by("pk").values()),
        "contracts": list(ServiceContract.objects.order_by("pk").values()),
        "providers": list(ServiceProvider.objects.order_by("pk").values()),
        "announcements": list(Announcement.objects.order_by("pk").values()),
        "agreements": list(AgreementVersion.objects.order_by("pk").values()),
        "acceptances": list(Acceptance.objects.order_by("pk").values()),
        "users": list(get_user_model().objects.order_by("pk").values("pk", "username", "password")),
    }


# --- the fixture ----------------------------------------------------------------------------


def test_the_fixture_loads_after_migrate():
    load_fixture()
    assert SubscriberLine.objects.count() == len(DEMO_LOGINS) >= 5
    assert ServiceProvider.objects.count() >= 30


def test_every_row_of_the_fixture_is_valid():
    load_fixture()
    for model in [
        SubscriberLine,
        ServiceProvider,
        NotificationSetting,
        ServiceContract,
        Announcement,
        AgreementVersion,
        Acceptance,
    ]:
        for obj in model.objects.all():
            obj.full_clean()
    for provider in ServiceProvider.objects.all():
        assert re.fullmatch(PROVIDER_CODE_PATTERN, provider.code)


def test_the_fixture_keeps_clear_of_other_data():
    rows = json.loads(FIXTURE.read_text())
    assert all(DEMO_PK_START <= row["pk"] <= DEMO_PK_END for row in rows)
    serviced = {
        row["fields"]["service"] for row in rows if row["model"] == "wso_portal.servicecontract"
    }
    assert serviced <= {1, 3, 4, 5, 6}, "contracts point at the six services of 0002_services"


def test_the_lines_are_in_the_states_qa_needs():
    load_fixture()
    lines = {line.flets_number: line for line in SubscriberLine.objects.all()}
    statuses = [line.status for line in lines.values()]
    assert {"active", "suspended", "cancelled"} <= set(statuses)

    notifying = {
        number: NotificationSetting.objects.filter(line=line, notify=True).count()
        for number, line in lines.items()
    }
    active = [n for n, line in lines.items() if line.status == "active"]
    assert any(notifying[n] >= 3 for n in active), "a line with several 通知する providers"
    assert any(notifying[n] == 0 for n in active), "a line with none"
    w0099 = ServiceProvider.objects.get(code="W0099")
    assert NotificationSetting.objects.filter(provider=w0099, notify=True).exists()


def test_one_line_shows_the_footnote_rule():
    load_fixture()
    shown = []
    for line in SubscriberLine.objects.filter(status="active"):
        for service in {c.service for c in line.contracts.all()}:
            states = list(line.contracts.filter(service=service).values_list("status", flat=True))
            if len(set(states)) > 1:
                shown.append(usage_status(states, default=service.default_status))
    assert shown and set(shown) == {ServiceStatus.IN_USE}
    states = set(ServiceContract.objects.values_list("status", flat=True))
    assert states == {"利用中", "登録中", "変更中", "廃止中"}


def test_the_test_provider_and_the_catalogue():
    load_fixture()
    test = ServiceProvider.objects.get(code="W0099")
    assert (test.name, test.service_name, test.active) == ("NTT西日本(試験用)", "試験用", True)
    service_names = set(ServiceProvider.objects.values_list("service_name", flat=True))
    assert {"IP電話", "映像配信", "ゲーム"} <= service_names


def test_announcements_are_current_expired_and_future():
    load_fixture()
    from django.utils import timezone

    now = timezone.now()
    assert Announcement.objects.published(now).count() == 1
    assert Announcement.objects.filter(publish_until__lte=now).count() == 1
    assert Announcement.objects.filter(publish_from__gt=now).count() == 1


def test_the_agreement_is_the_manuals_text_cleaned():
    load_fixture()
    agreement = AgreementVersion.objects.current()
    assert agreement.version == 1
    assert agreement.title == "「回線情報通知」の利用にあたっての同意書"
    headings = re.findall(r"^([A-Z])\. (.+)$", agreement.body, re.MULTILINE)
    assert headings == [
        ("A", "「回線情報通知」提供事業者"),
        ("B", "契約に関する基本事項および料金"),
        ("C", "サービス概要"),
        ("D", "料金"),
        ("E", "推奨環境"),
        ("F", "免責"),
    ]
    body = agreement.body
    assert "NGN" in body and "「CAF + 数字10桁」" in body and "無料" in body
    for ocr_error in ["フレック", "NO.NI", "WAN", "Internet Explorer", "引線", "0.AF"]:
        assert ocr_error not in body


def test_access_keys_are_only_in_the_fixture_as_argon2_hashes():
    text = FIXTURE.read_text()
    for login in DEMO_LOGINS:
        assert login.access_key not in text
    assert OPERATOR_PASSWORD not in text
    passwords = [r["fields"]["password"] for r in json.loads(text) if r["model"] == "auth.user"]
    assert passwords and all(p.startswith("argon2$argon2id$") for p in passwords)


def test_the_operator_is_a_superuser_without_a_line(argon2):
    load_fixture()
    operator = get_user_model().objects.get(username=OPERATOR_USERNAME)
    assert operator.is_staff and operator.is_superuser and operator.is_active
    assert not SubscriberLine.objects.filter(user=operator).exists()
    assert operator.check_password(OPERATOR_PASSWORD)


# --- manage.py demo -------------------------------------------------------------------------


def test_every_printed_login_opens_its_line(argon2):
    out = run_demo()
    printed = LOGIN_ROW.findall(out)
    assert len(printed) == len(DEMO_LOGINS) >= 5
    for number, key in printed:
        line = SubscriberLine.objects.select_related("user").get(flets_number=number)
        assert line.user.check_password(key), number
        assert not line.user.check_password(key.lower())
        user = authenticate(None, flets_number=number, access_key=key)
        assert (user == line.user) == (line.status == "active"), number
    assert f"ユーザー名 {OPERATOR_USERNAME}  パスワード {OPERATOR_PASSWORD}" in out
    assert "http://127.0.0.1:8000/admin/" in out
    assert "利用停止中" in out and "解約済み" in out


def test_the_demo_is_loaded_once(argon2):
    assert "読み込みました" in run_demo()
    first = snapshot()
    out = run_demo()
    assert "読み込みませんでした" in out
    assert snapshot() == first
    assert len(LOGIN_ROW.findall(out)) == len(DEMO_LOGINS)


def test_the_demo_is_not_mixed_into_other_lines():
    make_line()
    out = run_demo()
    assert "読み込みませんでした" in out
    assert SubscriberLine.objects.count() == 1
    assert "未登録" in out


def test_reset_puts_the_demo_back_and_removes_what_was_done_with_it(client, argon2):
    run_demo()
    pristine = snapshot()
    first, second = (
        SubscriberLine.objects.get(flets_number=d.flets_number) for d in DEMO_LOGINS[:2]
    )
    provider = ServiceProvider.objects.get(code="A0102")
    make_application(first, [provider], agreement=AgreementVersion.objects.get(version=1))
    NotificationSetting.objects.create(line=second, provider=provider, notify=True)
    ServiceContract.objects.filter(line=first).delete()
    SubscriberLine.objects.filter(pk=second.pk).update(status="suspended")
    ServiceProvider.objects.filter(code="W0099").update(name="変更された名前")
    Lockout.objects.create(kind="line", key=first.flets_number, until="2099-01-01T00:00:00Z")
    LoginAttempt.objects.create(
        flets_number=first.flets_number, client_address="::1", succeeded=False, reason="wrong"
    )
    client.force_login(first.user)
    assert Session.objects.count() == 1
    other = make_line()

    out = run_demo("--reset")

    assert "読み込み直しました" in out
    after = snapshot()
    after["lines"] = [row for row in after["lines"] if row["id"] != other.pk]
    after["users"] = [row for row in after["users"] if row["pk"] != other.user_id]
    assert after == pristine
    assert not Application.objects.exists()
    assert not Lockout.objects.exists() and not LoginAttempt.objects.exists()
    assert not Session.objects.exists()
    assert SubscriberLine.objects.filter(pk=other.pk).exists(), "other lines are left alone"
    assert client.get("/").status_code == 302, "the old session is gone"


def test_reset_on_an_empty_database_loads_the_demo(argon2):
    out = run_demo("--reset")
    assert SubscriberLine.objects.count() == len(DEMO_LOGINS)
    assert len(LOGIN_ROW.findall(out)) == len(DEMO_LOGINS)


def test_the_demo_refuses_services_it_does_not_know():
    from wso_portal.models import Service

    Service.objects.filter(code="vpn-wide").update(code="vpn-other")
    with pytest.raises(CommandError, match="0002_services"):
        run_demo()
    assert not SubscriberLine.objects.exists()


def test_the_fixture_path_is_inside_the_project():
    assert FIXTURE.is_relative_to(settings.BASE_DIR) and FIXTURE.exists()


def test_an_operator_made_by_hand_is_not_overwritten():
    get_user_model().objects.create_superuser(username=OPERATOR_USERNAME, password="own-pass-2026")
    with pytest.raises(CommandError, match="operator"):
        run_demo()
    with pytest.raises(CommandError, match="operator"):
        run_demo("--reset")
    assert not SubscriberLine.objects.exists()
    assert get_user_model().objects.get(username=OPERATOR_USERNAME).check_password("own-pass-2026")


def test_a_provider_code_taken_elsewhere_is_reported():
    ServiceProvider.objects.create(code="W0099", name="別の事業者", service_name="試験用")
    with pytest.raises(CommandError, match="W0099"):
        run_demo()
    assert ServiceProvider.objects.get(code="W0099").name == "別の事業者"


def test_the_printed_operator_login_opens_the_admin(client, argon2):
    run_demo()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": OPERATOR_USERNAME, "password": OPERATOR_PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "回線" in index.content.decode()


def test_the_printed_api_key_tells_demo_line_1_until_w0099_is_switched_off(client):
    out = run_demo()
    key = re.search(r"のAPIキー (wso_\S+)", out).group(1)
    address = re.search(r"のアドレス (\S+)", out).group(1)
    curl = re.search(r"curl -s (\S+) -H 'Authorization: Bearer (\S+)'", out)
    assert curl.groups() == ("http://127.0.0.1:8000/api/v1/lookups", key)

    def look_up():
        response = client.post(
            "/api/v1/lookups",
            json.dumps({"addresses": [address]}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200
        return response.json()["results"][0]

    line_1 = SubscriberLine.objects.get(flets_number=DEMO_LOGINS[0].flets_number)
    assert look_up() == {"address": address, "notified": True, "customer_id": line_1.customer_id}
    w0099 = ServiceProvider.objects.get(code="W0099")
    application = make_application(line_1, [w0099], direction="stop", wants_mail=False)
    apply_now(application.pk, by="operator")
    assert look_up() == {"address": address, "notified": False, "customer_id": None}


def test_the_demo_api_key_is_only_in_the_fixture_as_a_hash():
    assert DEMO_PROVIDER_KEY not in FIXTURE.read_text()
    load_fixture()
    assert ProviderKey.objects.get(provider__code="W0099").hashed_key == hash_key(DEMO_PROVIDER_KEY)


def test_the_demo_receiver_prints_verified_events_and_refuses_forged_ones():
    import socket
    import subprocess
    import sys
    import urllib.error
    import urllib.request
    from datetime import UTC, datetime

    from standardwebhooks.webhooks import Webhook

    from wso_portal.management.commands.demo import DEMO_WEBHOOK_SECRET

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = subprocess.Popen(
        [sys.executable, "manage.py", "demo_receiver", "--port", str(port)],
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert "待機しています" in receiver.stdout.readline()
        body = (
            '{"type":"notification.enabled","timestamp":"t","data":{"customer_id":"CAF0123456789"}}'
        )

        def send(signature_key):
            now = datetime.now(UTC)
            signature = Webhook(signature_key).sign("msg_1", now, body)
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/webhooks",
                data=body.encode(),
                headers={
                    "webhook-id": "msg_1",
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": signature,
                },
            )
            try:
                return urllib.request.urlopen(request, timeout=5).status
            except urllib.error.HTTPError as exc:
                return exc.code

        assert send(DEMO_WEBHOOK_SECRET) == 204
        assert "署名OK notification.enabled webhook-id=msg_1" in receiver.stdout.readline()
        assert "CAF0123456789" in receiver.stdout.readline()
        assert send("whsec_" + "A" * 44) == 400
        assert "署名を確認できません" in receiver.stdout.readline()
    finally:
        receiver.terminate()
        receiver.wait(10)


def test_switching_w0099_off_and_on_for_demo_line_1_writes_disabled_then_enabled():
    from providers.models import WebhookEvent

    load_fixture()
    line_1 = SubscriberLine.objects.get(flets_number=DEMO_LOGINS[0].flets_number)
    w0099 = ServiceProvider.objects.get(code="W0099")
    for direction in ("stop", "notify"):
        application = make_application(line_1, [w0099], direction=direction, wants_mail=False)
        apply_now(application.pk, by="operator")
    events = WebhookEvent.objects.filter(provider=w0099, line=line_1).order_by("pk")
    assert [e.type for e in events] == ["notification.disabled", "notification.enabled"]
    assert {e.data["customer_id"] for e in events} == {line_1.customer_id}
