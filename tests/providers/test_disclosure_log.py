"""The disclosure log as the law keeps it: monthly partitions on PostgreSQL (one table on
SQLite), 3 years by default, each row naming the consent it rests on, and 提供履歴 read from
the monthly roll-up so that a heavy line costs what a light one does."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notification.work import apply_now
from providers import partitions
from providers.checks import disclosure_log_kept_long_enough
from providers.history import DatedDisclosures, ProviderSummaries
from providers.models import Disclosure, DisclosureDay, DisclosureMonth, DisclosureRollup
from providers.rollups import LAG, roll_up
from providers.services import look_up, retention_start
from tests.factories import make_application, make_disclosure, make_key, make_line, make_provider

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL: declarative partitions"
)
LOG = Disclosure._meta.db_table


def month_ago(months: int):
    return partitions.add_months(partitions.month_of(timezone.now()), -months)


def add_rows(line, provider, times: list, key=None):
    """Many disclosures at once, as the look-ups would have logged them."""
    key = key or make_key(provider)[0]
    make_disclosure(line, provider, key, at=times[0])
    Disclosure.objects.bulk_create(
        Disclosure(line=line, provider=provider, key=key, address="2001:db8::1", at=at)
        for at in times[1:]
    )


# Partitions ------------------------------------------------------------------------------------


@postgres_only
def test_on_postgresql_the_log_is_partitioned_by_month_with_the_coming_months_made():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partrelid::regclass::text FROM pg_partitioned_table ORDER BY 1",
        )
        assert {LOG, DisclosureMonth._meta.db_table} <= {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'p'",
            [LOG],
        )
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, at)"
    current = partitions.month_of(timezone.now())
    coming = [partitions.add_months(current, n) for n in range(partitions.MONTHS_AHEAD + 1)]
    assert set(coming) <= set(partitions.months_of(LOG))


@postgres_only
def test_a_row_of_a_month_without_a_partition_is_kept_and_moves_into_it_when_made():
    line, provider = make_line(), make_provider()
    old_month = month_ago(7)
    at = partitions.month_start(old_month) + timedelta(days=3)
    row = make_disclosure(line, provider, at=at)
    assert old_month not in partitions.months_of(LOG)

    assert partitions.ensure(months=[old_month]) == 2  # the log's and its roll-up's

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {partitions.partition_name(LOG, old_month)}")
        assert cursor.fetchall() == [(row.pk,)]
        cursor.execute(f"SELECT COUNT(*) FROM {LOG}_default")
        assert cursor.fetchone()[0] == 0
    assert partitions.ensure(months=[old_month]) == 0


def test_purge_removes_whole_months_before_the_retention_window(settings):
    settings.WSO_DISCLOSURE_RETENTION_DAYS = 365
    line, provider = make_line(), make_provider()
    kept_from = retention_start()
    gone_month = partitions.add_months(partitions.month_of(kept_from), -1)
    partitions.ensure(months=[gone_month, partitions.month_of(kept_from)])
    add_rows(
        line,
        provider,
        [
            *(partitions.month_start(gone_month), kept_from - timedelta(microseconds=1)),
            *(kept_from, kept_from + timedelta(days=40), timezone.now()),
        ],
    )
    roll_up(now=timezone.now() + LAG)
    if partitions.is_partitioned(LOG):
        assert gone_month in partitions.months_of(LOG)

    out = StringIO()
    call_command("purge", stdout=out)

    assert f"提供履歴 ({kept_from:%Y/%m/%d}より前): 2件" in out.getvalue()
    assert not Disclosure.objects.filter(at__lt=kept_from).exists()
    assert Disclosure.objects.count() == 3
    assert not DisclosureMonth.objects.filter(month__lt=kept_from.date()).exists()
    assert not DisclosureDay.objects.filter(day__lt=kept_from.date()).exists()
    assert DisclosureDay.objects.aggregate(times=Sum("times"))["times"] == 3
    assert ProviderSummaries(line).of(provider.code).times == 3
    if partitions.is_partitioned(LOG):  # dropped whole, on both tables
        assert gone_month not in partitions.months_of(LOG)
        assert gone_month not in partitions.months_of(DisclosureMonth._meta.db_table)
        assert partitions.month_of(kept_from) in partitions.months_of(LOG)


def test_by_default_the_log_is_kept_three_years_and_never_under_one():
    from django.conf import settings as django_settings

    assert django_settings.WSO_DISCLOSURE_RETENTION_DAYS == 1095


def test_a_retention_under_a_year_is_refused_at_start_up(settings):
    settings.WSO_DISCLOSURE_RETENTION_DAYS = 365
    assert disclosure_log_kept_long_enough(None) == []
    settings.WSO_DISCLOSURE_RETENTION_DAYS = 364
    (error,) = disclosure_log_kept_long_enough(None)
    assert error.id == "providers.E002"
    with pytest.raises(SystemCheckError, match="WSO_DISCLOSURE_RETENTION_DAYS"):
        call_command("check")


def test_the_partitions_command_says_what_exists():
    out = StringIO()
    call_command("disclosure_partitions", stdout=out)
    assert "作成したパーティション: 0" in out.getvalue()
    if partitions.is_partitioned(LOG):
        assert f"{LOG}: " in out.getvalue()


# The consent each disclosure rests on ----------------------------------------------------------


def test_a_disclosure_names_the_application_that_set_the_provider_to_notify(alice_client, alice):
    provider = make_provider()
    application = make_application(alice, [provider], direction="notify", wants_mail=False)
    apply_now(application.pk, by="operator")
    key = make_key(provider)[0]

    (answer,) = look_up(key, [str(alice.network.network_address + 5)])

    assert answer.customer_id == alice.customer_id
    disclosure = Disclosure.objects.get()
    assert disclosure.application == application
    assert disclosure.application.agreement_version == application.agreement_version
    csv_url = reverse("providers:provider_history_csv", kwargs={"code": provider.code})
    body = b"".join(alice_client.get(csv_url).streaming_content).decode("utf-8-sig")
    assert body.splitlines()[1].endswith(f",{application.receipt_number}")


def test_a_batch_look_up_names_each_lines_own_application():
    provider = make_provider()
    key = make_key(provider)[0]
    lines = [make_line() for _ in range(3)]
    applications = {}
    for line in lines:
        applications[line.pk] = make_application(line, [provider], direction="notify")
        apply_now(applications[line.pk].pk, by="operator")
    addresses = [str(line.network.network_address + n) for line in lines for n in range(1, 21)]

    look_up(key, addresses)  # 60 rows: past psycopg's 50 parameters, sent as arrays

    assert Disclosure.objects.count() == 60
    for disclosure in Disclosure.objects.all():
        assert disclosure.application_id == applications[disclosure.line_id].pk


# 提供履歴 from the roll-up ------------------------------------------------------------------------


def brute_force(line, provider, since):
    rows = Disclosure.objects.filter(line=line, provider=provider, at__gte=since)
    return sorted(rows.values_list("at", "id"), reverse=True)


def test_the_roll_up_and_the_log_after_it_count_every_row_once(settings):
    line, provider, other = make_line(), make_provider(), make_provider()
    now = timezone.now()
    kept_from = retention_start(now)
    partitions.ensure(months=[month_ago(n) for n in range(1, 4)])
    times = [now - timedelta(days=d, minutes=d) for d in range(0, 80)]
    add_rows(line, provider, times)
    add_rows(line, other, [now - timedelta(days=40)])

    roll_up(now=now - timedelta(days=20))  # through 20 days ago (a worker left behind)
    roll_up(now=now - timedelta(days=20))  # again: nothing counted twice
    summary = ProviderSummaries(line, now=now).of(provider.code)
    assert (summary.times, summary.first_at, summary.last_at) == (80, min(times), max(times))
    assert DisclosureMonth.objects.filter(line=line, provider=provider).count() >= 3

    roll_up(now=now + LAG)
    again = ProviderSummaries(line, now=now)
    assert [(p.code, p.times) for p in again] == [(provider.code, 80), (other.code, 1)]
    assert again.count() == 2
    assert DisclosureRollup.objects.get().through == now
    assert kept_from < min(times)


@pytest.mark.parametrize("rolled_days_ago", [None, 30, 0])
def test_the_dated_list_pages_match_the_log_row_for_row(rolled_days_ago):
    line, provider = make_line(), make_provider()
    now = timezone.now()
    partitions.ensure(months=[month_ago(n) for n in range(1, 4)])
    add_rows(line, provider, [now - timedelta(hours=h * 7) for h in range(300)])
    if rolled_days_ago is not None:
        roll_up(now=now - timedelta(days=rolled_days_ago) + LAG)
    expected = brute_force(line, provider, retention_start(now))
    dated = DatedDisclosures(line, provider, now=now)

    assert dated.count() == len(expected) == 300
    for start in (0, 50, 130, 250, 290):
        page = dated[start : start + 50]
        assert [(d.at, d.pk) for d in page] == expected[start : start + 50]


def test_a_heavy_line_costs_the_same_queries_as_a_light_one(client, settings):
    settings.WSO_DISCLOSURE_RETENTION_DAYS = 1095
    provider = make_provider()
    heavy, light = make_line(), make_line()
    now = timezone.now()
    partitions.ensure(months=[month_ago(n) for n in range(1, 13)])
    key = make_key(provider)[0]
    add_rows(heavy, provider, [now - timedelta(minutes=17 * n) for n in range(5000)], key)
    add_rows(light, provider, [now - timedelta(days=n) for n in range(10)], key)
    roll_up(now=now)

    def queries(line) -> list[int]:
        client.force_login(line.user)
        counts = []
        for url in [
            reverse("providers:history"),
            reverse("providers:provider_history", kwargs={"code": provider.code}),
            reverse("providers:provider_history", kwargs={"code": provider.code}) + "?page=last",
        ]:
            client.get(url)  # warm
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
        return counts

    assert queries(heavy) == queries(light)
