"""What the console hears of the apps below it: `manage.py demo` (W0099's demo user, printed
beside the other logins) and a failing webhook endpoint (mailed to its users and operators)."""

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.dispatch import receiver
from django.utils import timezone

from notification.models import ServiceProvider
from providers.signals import endpoint_failing
from providers.webhooks import DISABLE_AFTER
from wso_portal.signals import demo_loaded

from .models import ProviderUser

DEMO_PROVIDER_CODE = "W0099"
DEMO_EMAIL = "w0099@example.jp"
DEMO_PASSWORD = "demo-provider-2026"  # published, like the demo's access keys


@receiver(demo_loaded, dispatch_uid="console.receivers.demo_user")
def demo_user(sender, *, url: str, **kwargs) -> list[str]:
    provider = ServiceProvider.objects.filter(code=DEMO_PROVIDER_CODE).first()
    if provider is None:
        return []
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=DEMO_EMAIL, defaults={"email": DEMO_EMAIL})
    # Left as it is when it is as published, so that running the demo again changes nothing.
    if (
        user.is_staff
        or user.is_superuser
        or not user.is_active
        or not user.check_password(DEMO_PASSWORD)
    ):
        user.is_staff = user.is_superuser = False
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
    ProviderUser.objects.update_or_create(user=user, defaults={"provider": provider})
    return [
        f" 事業者ポータル  {url}/provider/login/",
        f"   {provider.code} {provider.name}  メールアドレス {DEMO_EMAIL}"
        f"  パスワード {DEMO_PASSWORD}",
    ]


@receiver(endpoint_failing, dispatch_uid="console.receivers.mail_endpoint_failing")
def mail_endpoint_failing(sender, *, endpoint, attempt, disabled: bool, **kwargs) -> None:
    """The provider's users and the operators, at the first failure of a day and when the
    endpoint is disabled. Each audience gets its own mail: neither sees the other's addresses."""
    provider = endpoint.provider
    since = timezone.localtime(endpoint.failing_since).strftime("%Y/%m/%d %H:%M")
    if disabled:
        subject = f"[WSO] 通知先URLを停止しました ({provider.code})"
        lead = (
            f"{since} から送信に失敗し続けたため、{provider.code} {provider.name} の通知先URLへの"
            "即時通知の送信を停止しました。送信待ちの通知は保たれています。\n"
            "受信側を直したうえで、事業者ポータルの「通知先URL」で【再開】を押すと、"
            "送信待ちの通知から送り直します。"
        )
    else:
        subject = f"[WSO] 即時通知の送信に失敗しています ({provider.code})"
        lead = (
            f"{provider.code} {provider.name} の通知先URLへの即時通知の送信に失敗しました "
            "(本日最初の失敗です)。再送を続けますが、"
            f"{DISABLE_AFTER.days}日間すべての送信に失敗すると送信を停止します。"
        )
    body = "\n".join(
        [
            lead,
            "",
            f"通知先URL: {endpoint.url}",
            f"失敗が続いている期間: {since} から",
            f"最後の送信: {timezone.localtime(attempt.at):%Y/%m/%d %H:%M:%S} {attempt.error}",
        ]
    )
    audiences = [
        list(
            get_user_model()
            .objects.filter(provider_user__provider=provider, is_active=True)
            .values_list("email", flat=True)
        ),
        list(
            get_user_model()
            .objects.filter(is_staff=True, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        ),
    ]
    for recipients in audiences:
        if recipients:
            send_mail(subject, body, None, recipients)
