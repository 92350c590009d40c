"""事業者ポータル: the accounts of a provider's own staff."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from notification.models import ServiceProvider


class ProviderUser(models.Model):
    """A provider's staff account: a Django user (username = e-mail address, never staff) that
    belongs to exactly one provider and sees only that provider's data in the console."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="provider_user",
        verbose_name="ユーザー",
    )
    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.PROTECT,
        related_name="console_users",
        verbose_name="サービス提供者",
    )
    created_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = "事業者ポータルのユーザー"
        verbose_name_plural = "事業者ポータルのユーザー"
        ordering = ["provider__code", "user__username"]

    def __str__(self) -> str:
        return f"{self.provider.code} {self.user.username}"

    @property
    def email(self) -> str:
        return self.user.username
