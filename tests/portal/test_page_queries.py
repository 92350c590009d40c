"""Every subscriber page in at most six queries, the same with a line of few providers as with a
line of a thousand and a long disclosure log (SAVEPOINTs, the test's transaction at work, are
not queries a page makes)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.services import current_version
from notification.models import NotificationSetting
from notification.services import active_providers_in_order
from providers.models import Disclosure
from tests.factories import make_application, make_key, make_line, make_providers
from tests.notification.flow_helpers import VALID_APPLICANT, agree, flow_id_of, step_url
from wso_portal.views import published_announcements, services

pytestmark = pytest.mark.django_db

MAX_QUERIES = 6


def page_queries(client, url: str) -> int:
    client.get(url)  # the session's idle clock refreshed, as it is once a minute
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len([q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]])


def measure(n: int, agreement) -> dict[str, int]:
    active_providers_in_order.forget()  # bulk_create sends no signal
    line = make_line()
    notifying = make_providers(n)
    NotificationSetting.objects.bulk_create(
        NotificationSetting(line=line, provider=p, notify=True) for p in notifying
    )
    make_providers(n)  # 通知しない for this line
    active_providers_in_order.forget()
    key = make_key(notifying[0])[0]
    Disclosure.objects.bulk_create(
        Disclosure(line=line, provider=p, key=key, address="2001:db8::1")
        for p in notifying
        for _ in range(10)
    )
    application = make_application(line, notifying[-3:], direction="stop", agreement=agreement)
    client = Client()
    client.force_login(line.user)

    def start(action: str, **data) -> str:
        response = client.post(reverse("notification:usage_detail"), {"action": action, **data})
        return flow_id_of(response)

    stop = {"provider": [p.pk for p in notifying[:5]]}
    at_consent = start("stop", **stop)
    at_applicant = start("stop", **stop)
    agree(client, at_applicant, agreement)
    at_confirm = start("stop", **stop)
    agree(client, at_confirm, agreement)
    client.post(step_url("applicant", at_confirm), VALID_APPLICANT)
    register = step_url("register", start("add"))
    last_page = -(-n // 20)
    return {
        "トップ": page_queries(client, reverse("portal:top")),
        "ご利用状況詳細": page_queries(client, reverse("notification:usage_detail")),
        "「通知」設定登録": page_queries(client, register),
        "「通知」設定登録 last": page_queries(client, f"{register}?page={last_page}"),
        "同意書": page_queries(client, step_url("consent", at_consent)),
        "申込者情報入力": page_queries(client, step_url("applicant", at_applicant)),
        "変更内容確認": page_queries(client, step_url("confirm", at_confirm)),
        "受付完了": page_queries(
            client, reverse("notification:receipt", args=[application.receipt_number])
        ),
        "申込履歴": page_queries(client, reverse("notification:history")),
        "提供履歴": page_queries(client, reverse("providers:history")),
        "提供履歴 (provider)": page_queries(
            client, reverse("providers:provider_history", args=[notifying[0].code])
        ),
    }


@pytest.fixture
def read_cache(settings):
    """As in production, what every page reads and rarely changes is kept; here for longer than
    the test takes, since a copy expiring between two requests would count its query in one."""
    settings.WSO_READ_CACHE_SECONDS = 300
    for function in (services, published_announcements, current_version, active_providers_in_order):
        function.forget()
    yield
    for function in (services, published_announcements, current_version, active_providers_in_order):
        function.forget()


def test_every_subscriber_page_takes_at_most_six_queries_whatever_the_data(agreement, read_cache):
    small = measure(10, agreement)
    large = measure(1000, agreement)
    assert small == large
    assert max(small.values()) <= MAX_QUERIES, small
