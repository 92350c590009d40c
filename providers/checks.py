"""Start-up checks of the providers' settings (Django's system checks: every manage.py command,
the worker's included, runs them before it starts)."""

from django.conf import settings
from django.core.checks import Error, register

# A delivery's lease covers the attempt (at most WSO_WEBHOOK_TIMEOUT) and recording it.
LEASE_OVER_TIMEOUT = 2


@register()
def lease_outlasts_a_delivery(app_configs, **kwargs) -> list[Error]:
    lease, timeout = settings.WSO_WEBHOOK_LEASE_SECONDS, settings.WSO_WEBHOOK_TIMEOUT
    if lease >= LEASE_OVER_TIMEOUT * timeout:
        return []
    return [
        Error(
            f"WSO_WEBHOOK_LEASE_SECONDS ({lease}) は WSO_WEBHOOK_TIMEOUT ({timeout}) の"
            f"{LEASE_OVER_TIMEOUT}倍以上にしてください。",
            hint="送信中にリースが切れると、別のワーカーが同じ即時通知を二重に送ります。",
            id="providers.E001",
        )
    ]
