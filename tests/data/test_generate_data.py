"""`manage.py generate_data`: many lines quickly, valid, and clear of the demo."""

import io
import ipaddress
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from notification.models import PROVIDER_CODE_PATTERN, NotificationSetting, ServiceProvider
from wso_portal.management.commands.demo import DEMO_LOGINS, DEMO_PK_END
from wso_portal.management.commands.generate_data import ipv6_prefix
from wso_portal.models import SubscriberLine

from ..factories import make_line

pytestmark = pytest.mark.django_db

SAMPLE = re.compile(r"フレッツナンバー ([0-9]{11}) / アクセスキー ([A-Z0-9]{8})")


def generate(*args) -> str:
    out = io.StringIO()
    call_command("generate_data", *args, stdout=out)
    return out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: ANALYZE")
def test_inside_a_transaction_it_leaves_the_planners_row_counts_alone():
    def row_counts():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s) ORDER BY relname",
                [[model._meta.db_table for model in (ServiceProvider, SubscriberLine)]],
            )
            return cursor.fetchall()

    before = row_counts()
    generate("--lines", "40", "--providers", "12", "--settings-per-line", "3")
    # The test's transaction will roll these rows back; row counts of them would outlive it.
    assert row_counts() == before


def test_it_makes_the_lines_providers_and_settings_asked_for():
    out = generate("--lines", "40", "--providers", "12", "--settings-per-line", "3")
    assert SubscriberLine.objects.count() == 40
    assert get_user_model().objects.count() == 40
    assert ServiceProvider.objects.count() == 12
    assert NotificationSetting.objects.count() == 120
    assert NotificationSetting.objects.filter(notify=True).exists()
    assert "回線 40 件" in out


def test_every_generated_row_is_valid():
    generate("--lines", "30", "--providers", "8", "--settings-per-line", "2")
    for model in [SubscriberLine, ServiceProvider, NotificationSetting]:
        for obj in model.objects.all():
            obj.full_clean()
    for provider in ServiceProvider.objects.all():
        assert re.fullmatch(PROVIDER_CODE_PATTERN, provider.code)
    for line in SubscriberLine.objects.select_related("user"):
        assert line.user.username == line.flets_number
        assert not line.user.is_staff
    prefixes = list(SubscriberLine.objects.values_list("ipv6_prefix", flat=True))
    assert len(set(prefixes)) == len(prefixes)


def test_the_printed_sample_login_works_for_every_line():
    out = generate("--lines", "5", "--providers", "3", "--settings-per-line", "1")
    number, key = SAMPLE.search(out).groups()
    assert SubscriberLine.objects.filter(flets_number=number).exists()
    passwords = set(get_user_model().objects.values_list("password", flat=True))
    assert len(passwords) == 1, "one hash, computed once"
    for user in get_user_model().objects.all():
        assert user.check_password(key)


def test_a_chosen_access_key_is_used():
    out = generate(
        "--lines", "2", "--providers", "1", "--settings-per-line", "0", "--access-key", "TEST2345"
    )
    number, key = SAMPLE.search(out).groups()
    assert key == "TEST2345"
    assert SubscriberLine.objects.get(flets_number=number).user.check_password("TEST2345")


def test_small_batches_give_the_same_result():
    generate("--lines", "25", "--providers", "4", "--settings-per-line", "2", "--batch-size", "7")
    assert SubscriberLine.objects.count() == 25
    assert NotificationSetting.objects.count() == 50
    per_line = {
        line.pk: line.notification_settings.count() for line in SubscriberLine.objects.all()
    }
    assert set(per_line.values()) == {2}


def test_a_second_run_adds_new_numbers_and_codes():
    generate("--lines", "10", "--providers", "5", "--settings-per-line", "1")
    generate("--lines", "10", "--providers", "5", "--settings-per-line", "1")
    assert SubscriberLine.objects.count() == 20
    assert ServiceProvider.objects.count() == 10


def test_it_leaves_room_for_the_demo_and_the_demo_for_it():
    make_line()
    generate("--lines", "10", "--providers", "5", "--settings-per-line", "2")
    generated = SubscriberLine.objects.filter(flets_number__startswith="09")
    assert all(line.pk > DEMO_PK_END and line.user_id > DEMO_PK_END for line in generated)
    assert not ServiceProvider.objects.filter(pk__lte=DEMO_PK_END).exists()

    call_command("demo", "--reset", stdout=io.StringIO())
    assert SubscriberLine.objects.count() == 11 + len(DEMO_LOGINS)
    assert generated.count() == 10
    demo_numbers = {d.flets_number for d in DEMO_LOGINS}
    assert not set(generated.values_list("flets_number", flat=True)) & demo_numbers

    generate("--lines", "3", "--providers", "2", "--settings-per-line", "1")
    assert SubscriberLine.objects.count() == 14 + len(DEMO_LOGINS)
    assert ServiceProvider.objects.get(code="W0099").name == "NTT西日本(試験用)"


def test_rows_made_afterwards_get_fresh_keys():
    generate("--lines", "5", "--providers", "2", "--settings-per-line", "1")
    line = make_line()
    assert line.pk > SubscriberLine.objects.exclude(pk=line.pk).order_by("-pk").first().pk
    assert line.user.pk > DEMO_PK_END


def test_it_refuses_more_settings_per_line_than_providers():
    with pytest.raises(CommandError):
        generate("--lines", "2", "--providers", "2", "--settings-per-line", "3")
    assert not SubscriberLine.objects.exists()
    assert not ServiceProvider.objects.exists()


@pytest.mark.parametrize("serial", [1, 255, 256, 65_535, 65_536, 8_388_607, 1_000_000])
def test_generated_prefixes_are_canonical(serial):
    prefix = ipv6_prefix(serial)
    assert str(ipaddress.IPv6Network(prefix)) == prefix
    assert ipaddress.IPv6Network(prefix).prefixlen == 56
