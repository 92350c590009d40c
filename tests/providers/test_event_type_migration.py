"""Migrating renames テスト送信's stored events from test to notification.test, and the type's
check constraint takes the new name and refuses the old one."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from providers.models import WebhookEvent
from tests.factories import make_provider

pytestmark = pytest.mark.django_db(transaction=True)
INSERT = """
    INSERT INTO providers_webhookevent
        (provider_id, type, webhook_id, data, created_at, state, attempts, next_attempt_at,
         last_error)
    VALUES (%s, %s, %s, '{}', %s, 'delivered', 1, %s, '')
"""


def migrate(targets):
    MigrationExecutor(connection).migrate(targets)


def test_the_stored_test_events_become_notification_test():
    provider = make_provider()
    now = timezone.now()
    migrate([("providers", "0008_disclosure_day")])
    try:
        with connection.cursor() as cursor:
            cursor.execute(INSERT, [provider.pk, "test", "msg_" + "a" * 32, now, now])
            cursor.execute(
                INSERT, [provider.pk, "notification.enabled", "msg_" + "b" * 32, now, now]
            )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert sorted(WebhookEvent.objects.values_list("type", flat=True)) == [
        "notification.enabled",
        "notification.test",
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEvent.objects.filter(type="notification.test").update(type="test")
