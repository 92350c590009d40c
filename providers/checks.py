"""Start-up checks of the providers' settings (Django's system checks: every manage.py command,
the worker's included, runs them before it starts)."""

from django.conf import settings
from django.core.checks import Error, register

# 個人情報保護法 第29条 and 施行規則 第21条: records of provision to a third party are kept 3
# years in general, 1 year only in narrow cases; never less than that.
MIN_DISCLOSURE_RETENTION_DAYS = 365

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


@register()
def disclosure_log_kept_long_enough(app_configs, **kwargs) -> list[Error]:
    days = settings.WSO_DISCLOSURE_RETENTION_DAYS
    if days >= MIN_DISCLOSURE_RETENTION_DAYS:
        return []
    return [
        Error(
            f"WSO_DISCLOSURE_RETENTION_DAYS ({days}) は{MIN_DISCLOSURE_RETENTION_DAYS}日以上に"
            "してください。",
            hint="提供履歴は第三者提供記録です (個人情報保護法 第29条、施行規則 第21条: 原則3年、"
            "例外でも1年)。既定は1095日 (3年) です。",
            id="providers.E002",
        )
    ]
