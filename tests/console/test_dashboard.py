"""ダッシュボード and APIドキュメント: the provider's own figures only."""

import re
import time
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from console import dashboard
from notification.models import NotificationSetting
from providers import rollups
from providers.models import DeliveryAttempt, DisclosureDay
from tests.factories import make_disclosure, make_key, make_line, set_notify

from .test_events import make_event

DASHBOARD = reverse("console:dashboard")


def test_the_chart_counts_the_told_per_day_from_the_roll_up_and_the_log_after_it(
    carol_client, w0099, other_provider, alice, bob
):
    now = timezone.now()
    make_disclosure(alice, w0099, at=now)
    make_disclosure(alice, w0099, at=now)
    make_disclosure(bob, w0099, at=now)
    make_disclosure(alice, w0099, at=now - timedelta(days=2))
    make_disclosure(alice, w0099, at=now - timedelta(days=40))  # outside the window
    make_disclosure(alice, other_provider, at=now)
    # The older days rolled up, today's still only in the log; then all of it rolled up.
    for rolled_to in (now - timedelta(days=1) + rollups.LAG, now + rollups.LAG + timedelta(1)):
        rollups.roll_up(now=rolled_to)
        days = dashboard.per_day(w0099)
        assert len(days) == 30 and days[-1].day == timezone.localdate()
        assert [d.told for d in days].count(0) == 28
        assert (days[-1].told, days[-3].told) == (3, 1)
    assert DisclosureDay.objects.filter(provider=w0099).count() == 3  # the 40th day's too
    html = carol_client.get(DASHBOARD).content.decode()
    assert html.count('<rect class="bar-lookups"') == 30
    assert re.search(r"<th scope=\"row\">[0-9年月日]+</th><td>[0-9]+</td><td>3</td>", html)
    assert "<script" not in html.split('data-testid="usage-chart"')[1].split("</svg>")[0]


def test_the_chart_counts_every_look_up_told_or_not_and_not_those_refused(
    client, carol_client, w0099, other_provider, settings
):
    settings.WSO_API_RATE_LIMIT = 2
    line = make_line()
    set_notify(line, w0099)
    plain = make_key(w0099)[1]
    # The counts live in the shared cache, which the tests' processes keep between tests.
    before = dashboard.per_day(w0099)[-1].lookups, dashboard.per_day(other_provider)[-1].lookups

    def look_up(address):
        return client.post(
            "/api/v1/lookups",
            {"addresses": [address]},
            content_type="application/json",
            headers={"Authorization": f"Bearer {plain}"},
        ).status_code

    time.sleep(1 - time.time() % 1)  # the rate's window is a whole second: all three in one
    told, untold, refused = (
        look_up(str(line.network.network_address + 1)),
        look_up("2001:db8:ffff::1"),  # no line there: told nothing, logged nowhere
        look_up("2001:db8:ffff::1"),
    )
    assert (told, untold, refused) == (200, 200, 429)
    today = dashboard.per_day(w0099)[-1]
    assert (today.lookups - before[0], today.told) == (2, 1)
    assert dashboard.per_day(other_provider)[-1].lookups == before[1]


def test_delivery_figures_and_the_keys_last_use(carol_client, w0099, other_provider, alice):
    ok = make_event(w0099, alice, state="delivered")
    DeliveryAttempt.objects.create(event=ok, status_code=200, latency_ms=5)
    DeliveryAttempt.objects.create(event=ok, status_code=500, latency_ms=5)
    DeliveryAttempt.objects.create(event=ok, status_code=204, latency_ms=5)
    make_event(w0099, alice, state="pending")
    make_event(w0099, alice, state="failed")
    make_event(w0099, alice, state="failed")
    make_event(other_provider, alice, state="failed")
    key, _ = make_key(w0099)
    key.last_used_at = timezone.now()
    key.save()
    html = carol_client.get(DASHBOARD).content.decode()
    assert 'data-testid="success-rate">66.7%<' in html
    assert 'data-testid="pending">1<' in html and 'data-testid="failed">2<' in html
    assert key.display_prefix in html
    assert timezone.localtime(key.last_used_at).strftime("%Y年%m月%d日 %H時%M分%S秒") in html


def test_the_count_of_notifying_lines_and_never_which(carol_client, w0099, alice, bob):
    set_notify(alice, w0099)
    set_notify(bob, w0099)
    set_notify(make_line(), w0099, notify=False)
    suspended = make_line(status="suspended")
    set_notify(suspended, w0099)
    assert NotificationSetting.objects.filter(provider=w0099, notify=True).count() == 3
    html = carol_client.get(DASHBOARD).content.decode()
    assert 'data-testid="notifying-lines">2<' in html
    for line in (alice, bob, suspended):
        assert line.customer_id not in html and line.flets_number not in html


def test_the_docs_page_links_the_api_docs_and_shows_the_curl_with_the_own_prefix(
    carol_client, w0099, other_provider
):
    key, plain = make_key(w0099)
    theirs, _ = make_key(other_provider)
    html = carol_client.get(reverse("console:docs")).content.decode()
    assert 'href="/api/v1/docs"' in html
    assert f"Bearer {key.display_prefix}…" in html
    assert plain not in html and theirs.display_prefix not in html
