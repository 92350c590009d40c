"""The console's part of `manage.py demo`: W0099's demo user, printed beside the other logins."""

from django.contrib.auth import get_user_model
from django.dispatch import receiver

from notification.models import ServiceProvider
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
