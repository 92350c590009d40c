"""The providers' side of 回線情報通知: their API keys and the record of every disclosure."""

import hashlib
import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone

from notification.models import ServiceProvider
from wso_portal.models import SubscriberLine

KEY_PREFIX = "wso_"
KEY_BYTES = 32  # 256 bits
KEY_DISPLAY_LENGTH = len(KEY_PREFIX) + 8
LIVE_KEYS_PER_PROVIDER = 2  # the old and the new one, during a rotation


def hash_key(key: str) -> str:
    """SHA-256 is enough for a random 256-bit secret; a slow hash would only slow every call."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


class ProviderKeyQuerySet(models.QuerySet):
    def live(self):
        return self.filter(revoked_at__isnull=True)


class ProviderKey(models.Model):
    """An API key of a provider. Only its hash is kept; the key is shown once, when created."""

    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.PROTECT,
        related_name="api_keys",
        verbose_name="サービス提供者",
    )
    display_prefix = models.CharField("キー (先頭)", max_length=KEY_DISPLAY_LENGTH)
    hashed_key = models.CharField("キーのハッシュ (SHA-256)", max_length=64, unique=True)
    created_at = models.DateTimeField("発行日時", default=timezone.now)
    last_used_at = models.DateTimeField("最終利用日時", null=True, blank=True)
    revoked_at = models.DateTimeField("失効日時", null=True, blank=True)

    objects = ProviderKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "APIキー"
        verbose_name_plural = "APIキー"
        ordering = ["provider__code", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hashed_key__regex=r"^[0-9a-f]{64}$"), name="key_hash_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider.code} {self.display_prefix}…"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class Disclosure(models.Model):
    """One お客様ID told to one provider: who asked, with which key, about which address, when."""

    line = models.ForeignKey(
        SubscriberLine, on_delete=models.CASCADE, related_name="disclosures", verbose_name="回線"
    )
    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.PROTECT,
        related_name="disclosures",
        verbose_name="サービス提供者",
    )
    key = models.ForeignKey(
        ProviderKey, on_delete=models.PROTECT, related_name="disclosures", verbose_name="APIキー"
    )
    address = models.GenericIPAddressField("照会されたアドレス", protocol="IPv6")
    at = models.DateTimeField("提供日時", default=timezone.now)

    class Meta:
        verbose_name = "提供履歴"
        verbose_name_plural = "提供履歴"
        ordering = ["-at", "-id"]
        indexes = [
            # 提供履歴: a line's providers with first/last/count, and one provider's dated list.
            models.Index(fields=["line", "provider", "at"], name="disclosure_line_provider"),
            models.Index(fields=["provider", "-at"], name="disclosure_provider"),
            models.Index(fields=["at"], name="disclosure_at"),  # the purge
        ]

    def __str__(self) -> str:
        at = timezone.localtime(self.at)
        return f"{at:%Y-%m-%d %H:%M:%S} {self.provider.code} {self.line.customer_id}"
