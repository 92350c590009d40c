"""Migrating an existing disclosure log keeps every row: the old table filled, migrated to the
partitioned one (PostgreSQL) with each row's consent backfilled, and counted."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from notification.models import NotificationSetting
from notification.work import apply_now
from providers import partitions
from providers.models import Disclosure, DisclosureDay
from tests.factories import (
    make_application,
    make_disclosure,
    make_key,
    make_line,
    make_provider,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BEFORE = [
    ("providers", "0003_disclosure_without_redundant_indexes"),
    ("notification", "0003_application_language"),
]
INSERT = """
    INSERT INTO providers_disclosure (line_id, provider_id, key_id, address, at)
    VALUES (%s, %s, %s, %s, %s)
"""


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_migrating_the_old_log_keeps_every_row_and_names_each_ones_consent():
    line, provider = make_line(), make_provider()
    key = make_key(provider)[0]
    application = make_application(line, [provider], direction="notify", wants_mail=False)
    apply_now(application.pk, by="operator")
    now = timezone.now()
    completed_at = now - timedelta(days=300)
    type(application).objects.filter(pk=application.pk).update(completed_at=completed_at)
    # Before the consent: a row the backfill cannot tie to an application.
    times = [completed_at - timedelta(days=100), completed_at + timedelta(seconds=1)]
    times += [now - timedelta(days=d, hours=d) for d in range(0, 200, 3)]

    migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            for n, at in enumerate(times):
                cursor.execute(INSERT, [line.pk, provider.pk, key.pk, f"2001:db8::{n + 1:x}", at])
            cursor.execute("SELECT id FROM providers_disclosure ORDER BY id")
            ids_before = [row[0] for row in cursor.fetchall()]
    finally:
        migrate(latest())

    assert sorted(Disclosure.objects.values_list("id", flat=True)) == ids_before
    assert len(ids_before) == len(times)
    tied = Disclosure.objects.filter(application=application)
    assert tied.count() == len(times) - 1  # every row after the 工事, none before
    assert Disclosure.objects.get(application__isnull=True).at == times[0]
    assert NotificationSetting.objects.get(line=line, provider=provider).application == application
    if connection.vendor == "postgresql":
        assert partitions.is_partitioned(Disclosure._meta.db_table)
        assert partitions.month_of(times[0]) in partitions.months_of(Disclosure._meta.db_table)
        # New rows go on from the old ids.
        again = Disclosure.objects.create(
            line=line, provider=provider, key=key, address="2001:db8::ffff", at=now
        )
        assert again.pk > max(ids_before)


def test_migrating_counts_the_rolled_up_days_the_console_shows():
    line, provider = make_line(), make_provider()
    now = timezone.now()
    through = now - timedelta(hours=1)
    migrate([("providers", "0007_disclosure_without_key_index")])
    try:
        for days_ago in (0, 0, 1, 1, 1, 20, 45):  # 0: after the mark, 45: before the chart's days
            make_disclosure(line, provider, at=through - timedelta(days=days_ago, minutes=-30))
        make_disclosure(line, provider, at=through - timedelta(days=2))
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO providers_disclosurerollup (id, through) VALUES (1, %s)", [through]
            )
    finally:
        migrate(latest())

    counted = dict(DisclosureDay.objects.filter(provider=provider).values_list("day", "times"))
    assert counted == {
        timezone.localdate(through - timedelta(days=1, minutes=-30)): 3,
        timezone.localdate(through - timedelta(days=2)): 1,
        timezone.localdate(through - timedelta(days=20, minutes=-30)): 1,
    }
