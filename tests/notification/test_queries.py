"""Every screen's query count stays flat when a line has 1,000 providers."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notification.models import Application, NotificationSetting
from tests.factories import make_line, make_providers

from .flow_helpers import VALID_APPLICANT, flow_id_of, step_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def idle_clock_not_due(monkeypatch):
    """The session's idle clock is saved at most once a minute (wso_portal.sessions, tested in
    tests/portal/test_session.py). A run slow enough to pass that minute would count the save in
    whichever step it fell on, in one measurement and not the other."""
    monkeypatch.setattr("wso_portal.sessions.REFRESH_AFTER_SECONDS", 24 * 3600)


def count(client, method: str, url: str, data=None) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 302), (url, response.status_code)
    return len(queries), response


def measure(n: int, agreement, *, picks: int = 10) -> dict[str, int]:
    line = make_line()
    notifying = make_providers(n)
    NotificationSetting.objects.bulk_create(
        NotificationSetting(line=line, provider=p, notify=True) for p in notifying
    )
    make_providers(n)  # 通知しない for this line
    client = Client()
    client.force_login(line.user)
    counts = {}
    counts["usage_detail"], _ = count(client, "get", reverse("notification:usage_detail"))
    counts["start_a"], response = count(
        client,
        "post",
        reverse("notification:usage_detail"),
        {"action": "stop", "provider": [p.pk for p in notifying[:picks]]},
    )
    flow_a = flow_id_of(response)
    counts["consent"], _ = count(client, "get", step_url("consent", flow_a))
    counts["agree"], _ = count(
        client, "post", step_url("consent", flow_a), {"action": "agree", "version": agreement.pk}
    )
    counts["applicant"], _ = count(client, "get", step_url("applicant", flow_a))
    counts["applicant_post"], _ = count(
        client, "post", step_url("applicant", flow_a), VALID_APPLICANT
    )
    counts["confirm"], _ = count(client, "get", step_url("confirm", flow_a))
    counts["submit"], response = count(client, "post", step_url("confirm", flow_a))
    counts["receipt"], _ = count(client, "get", response["Location"])
    counts["history"], _ = count(client, "get", reverse("notification:history"))
    counts["usage_detail_in_progress"], _ = count(
        client, "get", reverse("notification:usage_detail")
    )

    _, response = count(client, "post", reverse("notification:usage_detail"), {"action": "add"})
    flow_b = flow_id_of(response)
    counts["register"], response = count(client, "get", step_url("register", flow_b))
    shown = [provider.pk for provider in response.context["page"].object_list]
    last = response.context["page"].paginator.num_pages
    assert last >= n // settings.WSO_PROVIDERS_PER_PAGE
    counts["register_last_page"], response = count(
        client, "get", step_url("register", flow_b) + f"?page={last}"
    )
    assert response.context["page"].number == last
    counts["register_page_post"], _ = count(
        client,
        "post",
        step_url("register", flow_b),
        {"shown": shown, "provider": shown, "goto": "2"},
    )
    counts["register_next"], _ = count(
        client,
        "post",
        step_url("register", flow_b),
        {"shown": shown, "provider": shown, "action": "next", "page": "1"},
    )
    assert Application.objects.filter(line=line).count() == 1
    return counts


def test_query_counts_do_not_grow_with_1000_providers(agreement):
    small = measure(10, agreement)
    large = measure(1000, agreement)
    assert small == large
    assert max(small.values()) <= 20, small
    # The applications in 工事 and their providers are read in one statement, the same count
    # as the page's read that finds none.
    assert small["usage_detail_in_progress"] == small["usage_detail"]


def test_query_counts_do_not_grow_with_500_providers_picked_at_once(agreement):
    # (A form of more than 1,000 ticks exceeds Django's DATA_UPLOAD_MAX_NUMBER_FIELDS.)
    few = measure(1000, agreement, picks=10)
    many = measure(1000, agreement, picks=500)
    # Only the insert of the items is batched by the database driver (SQLite: 249 rows a batch).
    batches = -(-500 // 249) - 1 if connection.vendor == "sqlite" else 0
    assert many.pop("submit") <= few.pop("submit") + batches
    assert few == many


def test_screen_3_is_counted_without_scanning_every_provider_and_counts_right():
    from notification.models import Direction
    from notification.services import NotNotifyingPaginator
    from tests.factories import make_provider, set_notify

    from .rules import choice

    line = make_line()
    active = [make_provider() for _ in range(7)]
    inactive = [make_provider(active=False) for _ in range(3)]
    set_notify(line, active[0])
    set_notify(line, active[1], notify=False)
    set_notify(line, inactive[0])  # an inactive provider's 通知する is not on either side
    set_notify(make_line(), active[2])  # another line's setting changes nothing here
    with CaptureQueriesContext(connection) as captured:
        paginator = NotNotifyingPaginator(line, 20)
        counted = paginator.count
    # No 工事 is open on the line: its whole screen 3 is what it may switch to 通知する now.
    not_notifying = choice(line, Direction.NOTIFY).order_by("code")
    assert counted == not_notifying.count() == 6
    # The line's 通知する providers (an index), and the active providers' count (in production
    # kept a few seconds): no anti-join over every provider.
    assert len(captured.captured_queries) == 2
    assert not any("EXISTS" in q["sql"].upper() for q in captured.captured_queries)
    assert list(paginator.page(1).object_list) == list(not_notifying)


@pytest.mark.parametrize(
    "notifying", [(), (0,), (2,), (3,), (0, 1, 2), (2, 3, 9), (3, 4, 5, 6), (9,)]
)
def test_screen_3s_pages_are_the_not_notifying_providers_in_code_order(notifying):
    """Pages of 3 over 10 providers, with the line's 通知する ones before, on and after a page's
    edge: the pages, one after another, are choice()'s list in order."""
    from notification.models import Direction
    from notification.services import NotNotifyingPaginator
    from tests.factories import make_provider, set_notify

    from .rules import choice

    line = make_line()
    # Created out of code order, so that an id's place in the list is not its rank among ids.
    created = [make_provider(code=f"R{(7 * i) % 10:04d}") for i in range(10)]
    providers = sorted(created, key=lambda p: p.code)
    make_provider(active=False)
    for position in notifying:
        set_notify(line, providers[position])
    paginator = NotNotifyingPaginator(line, 3)
    shown = [p for n in paginator.page_range for p in paginator.page(n).object_list]
    assert shown == list(choice(line, Direction.NOTIFY).order_by("code"))
    assert paginator.count == 10 - len(notifying)


def test_the_providers_order_knows_where_each_id_stands():
    from notification.services import active_providers_in_order
    from tests.factories import make_provider

    active_providers_in_order.forget()
    created = [make_provider(code=f"Q{(3 * i) % 8:04d}") for i in range(8)]
    make_provider(code="Q9999", active=False)
    order = active_providers_in_order()
    by_code = [p.pk for p in sorted(created, key=lambda p: p.code)]
    assert list(order.ids) == by_code
    assert [order.position(pk) for pk in by_code] == list(range(8))
    assert order.position(max(by_code) + 1000) is None
    assert order.position(min(by_code) - 1) is None
