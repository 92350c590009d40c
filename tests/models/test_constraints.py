"""Formats and uniqueness are refused by the database itself, and by validation in Japanese."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agreements.models import AgreementVersion
from notification.models import (
    Application,
    ApplicationItem,
    BlockedMailDomain,
    NotificationSetting,
    ServiceProvider,
)
from wso_portal.models import Announcement, Service, ServiceContract, SubscriberLine

from ..factories import make_application, make_line, make_provider, set_notify

pytestmark = pytest.mark.django_db


def refused_by_database(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def new_line(**fields):
    from django.contrib.auth import get_user_model

    values = {
        "flets_number": "06699990001",
        "customer_id": "CAF9999000001",
        "ipv6_prefix": "2001:db8:abc::/56",
        "status": SubscriberLine.Status.ACTIVE,
    }
    values.update(fields)
    user = get_user_model().objects.create_user(username=f"u{uuid.uuid4().hex[:10]}")
    return SubscriberLine(user=user, **values)


def messages_of(instance, **kwargs):
    with pytest.raises(ValidationError) as caught:
        instance.full_clean(**kwargs)
    return caught.value.message_dict


# --- 回線 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["0669999000", "0669999000a", "０６６９９９９０００１", "066-9999-00", " 6699990001"]
)
def test_it_refuses_a_bad_flets_number_in_the_database(number):
    refused_by_database(lambda: new_line(flets_number=number).save())


@pytest.mark.parametrize(
    "customer_id",
    ["CAF012345678", "caf0123456789", "CAG0123456789", "CAF01234567８9", "0123456789012"],
)
def test_it_refuses_a_bad_customer_id_in_the_database(customer_id):
    refused_by_database(lambda: new_line(customer_id=customer_id).save())


@pytest.mark.parametrize("prefix", ["2001:DB8::/56", "2001:db8::", "10.0.0.0/8", "2001:db8::/x"])
def test_it_refuses_a_bad_ipv6_prefix_in_the_database(prefix):
    refused_by_database(lambda: new_line(ipv6_prefix=prefix).save())


def test_it_refuses_an_unknown_line_status_in_the_database():
    refused_by_database(lambda: new_line(status="deleted").save())


def test_it_refuses_a_second_line_with_the_same_numbers():
    line = make_line()
    refused_by_database(lambda: new_line(flets_number=line.flets_number).save())
    refused_by_database(lambda: new_line(customer_id=line.customer_id).save())


def test_it_accepts_a_well_formed_line():
    line = new_line()
    line.full_clean()
    line.save()
    assert SubscriberLine.objects.filter(flets_number="06699990001").exists()


def test_validation_explains_each_bad_field_in_japanese():
    errors = messages_of(
        new_line(
            flets_number="0669999000",
            customer_id="CAF12345",
            ipv6_prefix="2001:db8::1/56",
            status="deleted",
        )
    )
    assert errors["flets_number"] == ["フレッツナンバーは半角数字11桁です。"]
    assert errors["customer_id"] == ["お客様IDは「CAF」と数字10桁です。"]
    assert errors["ipv6_prefix"] == ["IPv6プレフィックスの形式が正しくありません。"]
    assert "有効な選択肢ではありません" in errors["status"][0]


def test_validation_asks_for_the_canonical_prefix():
    errors = messages_of(new_line(ipv6_prefix="2001:0db8:0abc::/56"))
    assert errors["ipv6_prefix"] == [
        "IPv6プレフィックスは正規形 2001:db8:abc::/56 で入力してください。"
    ]


def test_validation_refuses_a_duplicate_number_in_japanese():
    line = make_line()
    errors = messages_of(new_line(flets_number=line.flets_number))
    assert "既に存在します" in errors["flets_number"][0]


# --- サービスと契約 -------------------------------------------------------------------------


def test_it_refuses_an_unknown_contract_status_in_the_database():
    line = make_line()
    service = Service.objects.get(code="security")
    for status in ["未契約", "---", "active"]:
        refused_by_database(
            lambda s=status: ServiceContract.objects.create(line=line, service=service, status=s)
        )
    errors = messages_of(ServiceContract(line=line, service=service, status="未契約"))
    assert "有効な選択肢ではありません" in errors["status"][0]


def test_it_refuses_an_unknown_service_kind_in_the_database():
    refused_by_database(lambda: Service.objects.create(code="other", name="その他", kind="x"))


# --- お知らせ -------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [timedelta(0), timedelta(hours=-1)])
def test_it_refuses_an_announcement_that_ends_before_it_starts(length):
    start = timezone.now()
    refused_by_database(
        lambda: Announcement.objects.create(
            text="x", publish_from=start, publish_until=start + length
        )
    )


def test_an_announcement_without_an_end_is_allowed():
    Announcement.objects.create(text="掲載中", publish_until=None)
    assert Announcement.objects.published().count() == 1


# --- サービス提供者と通知設定 ---------------------------------------------------------------


@pytest.mark.parametrize("code", ["w0099", "W099", "WW099", "W009A", "00990", "Ｗ0099"])
def test_it_refuses_a_bad_provider_code_in_the_database(code):
    refused_by_database(
        lambda: ServiceProvider.objects.create(code=code, name="事業者", service_name="試験用")
    )


def test_it_refuses_a_duplicate_provider_code():
    make_provider(code="W0099")
    refused_by_database(lambda: make_provider(code="W0099"))


def test_it_refuses_a_second_setting_for_the_same_provider():
    line, provider = make_line(), make_provider()
    set_notify(line, provider)
    refused_by_database(lambda: set_notify(line, provider, notify=False))
    errors = messages_of(NotificationSetting(line=line, provider=provider, notify=False))
    assert any("既に存在します" in m for m in errors["__all__"])


def test_two_lines_may_each_have_a_setting_for_the_same_provider():
    provider = make_provider()
    set_notify(make_line(), provider)
    set_notify(make_line(), provider)
    assert NotificationSetting.objects.filter(provider=provider).count() == 2


@pytest.mark.parametrize("domain", ["Docomo.ne.jp", "docomo", "docomo.ne.jp/", "@au.com"])
def test_it_refuses_a_bad_blocked_mail_domain(domain):
    refused_by_database(lambda: BlockedMailDomain.objects.create(domain=domain))


# --- 申込 -----------------------------------------------------------------------------------


def test_it_refuses_a_second_open_item_for_the_same_provider_of_a_line():
    line, provider = make_line(), make_provider()
    make_application(line, [provider])
    second = make_application(line, [])
    refused_by_database(
        lambda: ApplicationItem.objects.create(application=second, line=line, provider=provider)
    )


def test_a_closed_item_does_not_block_a_new_one():
    line, provider = make_line(), make_provider()
    first = make_application(line, [provider])
    first.state = Application.State.COMPLETED
    first.save()
    first.items.update(is_open=False)
    second = make_application(line, [provider])
    second.items.update(is_open=False)
    third = make_application(line, [provider])
    assert ApplicationItem.objects.filter(line=line, provider=provider).count() == 3
    assert list(
        ApplicationItem.objects.filter(is_open=True).values_list("application", flat=True)
    ) == [third.pk]


def test_another_line_may_have_an_open_item_for_the_same_provider():
    provider = make_provider()
    make_application(make_line(), [provider])
    make_application(make_line(), [provider])
    assert ApplicationItem.objects.filter(provider=provider, is_open=True).count() == 2


def test_it_refuses_the_same_provider_twice_in_one_application():
    line, provider = make_line(), make_provider()
    application = make_application(line, [provider])
    application.items.update(is_open=False)
    refused_by_database(
        lambda: ApplicationItem.objects.create(
            application=application, line=line, provider=provider, is_open=False
        )
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("state", "done"), ("direction", "both")],
)
def test_it_refuses_an_unknown_application_state_or_direction(field, value):
    application = make_application(make_line(), [])
    setattr(application, field, value)
    refused_by_database(application.save)


def test_it_refuses_a_completion_mail_without_an_address():
    application = make_application(make_line(), [], wants_mail=False, email="")
    application.wants_completion_mail = True
    refused_by_database(application.save)


def test_an_application_token_is_used_once():
    first = make_application(make_line(), [])
    second = make_application(make_line(), [])
    second.submission_token = first.submission_token
    refused_by_database(second.save)


# --- 同意書 ---------------------------------------------------------------------------------


def test_it_refuses_version_zero_and_a_duplicate_version():
    AgreementVersion.objects.create(version=1, title="t", body="b")
    refused_by_database(lambda: AgreementVersion.objects.create(version=0, title="t", body="b"))
    refused_by_database(lambda: AgreementVersion.objects.create(version=1, title="t", body="b"))
