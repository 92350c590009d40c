"""Plain builders for test data: one obvious way to make each thing."""

import itertools

from django.contrib.auth import get_user_model

from agreements.models import AgreementVersion
from notification.models import NotificationSetting, ServiceProvider
from wso_portal.models import SubscriberLine

_serial = itertools.count(1)


def make_line(
    *,
    access_key: str = "ABCD2345",
    status: str = SubscriberLine.Status.ACTIVE,
    ipv6_prefix: str | None = None,
) -> SubscriberLine:
    n = next(_serial)
    flets_number = f"060{n:08d}"
    user = get_user_model().objects.create_user(username=flets_number, password=access_key)
    return SubscriberLine.objects.create(
        user=user,
        flets_number=flets_number,
        customer_id=f"CAF{n:010d}",
        # Clear of the demo's 2001:db8:100::/56… and generate_data's 2001:db8:8000::/33.
        ipv6_prefix=ipv6_prefix or f"2001:db8:{0x4000 + n:x}::/56",
        status=status,
    )


def make_provider(*, code: str | None = None, name: str | None = None, **fields) -> ServiceProvider:
    n = next(_serial)
    return ServiceProvider.objects.create(
        code=code or f"P{n % 10000:04d}",
        name=name or f"テスト事業者{n}",
        service_name=fields.pop("service_name", "IP電話"),
        **fields,
    )


_code_letters = itertools.cycle("ABCDEFGHJKLMNQRSTUVXYZ")


def make_providers(n: int) -> list[ServiceProvider]:
    """n providers in one insert, their codes under a letter of their own."""
    letter = next(_code_letters)
    return ServiceProvider.objects.bulk_create(
        ServiceProvider(code=f"{letter}{i:04d}", name=f"事業者{letter}{i}", service_name="IP電話")
        for i in range(n)
    )


def endpoint_form(endpoint, url: str) -> dict:
    """The admin page of a 通知先URL as a browser posts it, with its read-only secrets' formset."""
    count = str(endpoint.secrets.count())
    return {
        "url": url,
        "secrets-TOTAL_FORMS": count,
        "secrets-INITIAL_FORMS": count,
        "secrets-MIN_NUM_FORMS": "0",
        "secrets-MAX_NUM_FORMS": "1000",
    }


def set_notify(line, provider, notify: bool = True, **fields) -> NotificationSetting:
    return NotificationSetting.objects.create(line=line, provider=provider, notify=notify, **fields)


def make_agreement(version: int = 1) -> AgreementVersion:
    return AgreementVersion.objects.create(
        version=version,
        title="「回線情報通知」の利用にあたっての同意書",
        body="A. 「回線情報通知」提供事業者\n西日本電信電話株式会社",
    )


def make_application(
    line,
    providers=(),
    *,
    direction: str = "notify",
    state: str = "received",
    number: str | None = None,
    received_at=None,
    due_in: int = -1,
    email: str = "taro@example.jp",
    wants_mail: bool = True,
    agreement=None,
    applicant_name: str = "山田太郎",
    applicant_phone: str = "090-1234-5678",
):
    """An application as the change flows leave it, received at `received_at` (now by default)
    and due `due_in` seconds after that. With another `state` its items are open or closed as
    Application.OPEN_STATES says; its one event stays the 受付."""
    import uuid
    from datetime import timedelta

    from django.utils import timezone

    from notification.models import Application, ApplicationEvent, ApplicationItem

    n = next(_serial)
    received_at = received_at or timezone.now()
    application = Application.objects.create(
        receipt_number=number or f"{timezone.localtime(received_at):%Y%m%d}-{n % 10**6:06d}",
        line=line,
        direction=direction,
        applicant_name=applicant_name,
        applicant_phone=applicant_phone,
        applicant_email=email,
        wants_completion_mail=wants_mail,
        agreement_version=agreement or AgreementVersion.objects.first() or make_agreement(),
        agreed_at=received_at,
        submission_token=uuid.uuid4(),
        state=state,
        received_at=received_at,
        due_at=received_at + timedelta(seconds=due_in),
        mail_state=(
            Application.MailState.PENDING if wants_mail else Application.MailState.NOT_REQUESTED
        ),
    )
    ApplicationItem.objects.bulk_create(
        ApplicationItem(
            application=application,
            line=line,
            provider=provider,
            is_open=state in Application.OPEN_STATES,
        )
        for provider in providers
    )
    ApplicationEvent.objects.create(
        application=application, state=Application.State.RECEIVED, at=received_at
    )
    return application


def make_key(provider):
    """A live API key of the provider: (ProviderKey, the plain key sent as Bearer)."""
    from providers.services import create_key

    return create_key(provider)


def make_disclosure(line, provider, key=None, *, at=None, address: str | None = None):
    """One logged disclosure of the line's お客様ID to the provider, which a setting of the
    line names, as every real disclosure follows one (提供履歴 reads the log through them)."""
    from django.utils import timezone

    from notification.models import NotificationSetting
    from providers.models import Disclosure

    NotificationSetting.objects.get_or_create(
        line=line, provider=provider, defaults={"notify": True}
    )
    if key is None:
        key = provider.api_keys.filter(revoked_at__isnull=True).first() or make_key(provider)[0]
    return Disclosure.objects.create(
        line=line,
        provider=provider,
        key=key,
        address=address or str(line.network.network_address + 1),
        at=at or timezone.now(),
    )
