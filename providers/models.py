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

    # No index of their own for line and provider: the two indexes below lead with them, and
    # every look-up writes each index of this table (at 10,000,000 rows a day).
    line = models.ForeignKey(
        SubscriberLine,
        on_delete=models.CASCADE,
        related_name="disclosures",
        verbose_name="回線",
        db_index=False,
    )
    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.PROTECT,
        related_name="disclosures",
        verbose_name="サービス提供者",
        db_index=False,
    )
    # No index: nothing looks disclosures up by key, and keys are revoked, never deleted.
    key = models.ForeignKey(
        ProviderKey,
        on_delete=models.PROTECT,
        related_name="disclosures",
        verbose_name="APIキー",
        db_index=False,
    )
    address = models.GenericIPAddressField("照会されたアドレス", protocol="IPv6")
    at = models.DateTimeField("提供日時", default=timezone.now)
    # The consent the provision rests on (施行規則 第20条): the application whose 工事 set the
    # provider to 通知する, and so its 同意書 version. None where the setting came otherwise.
    application = models.ForeignKey(
        "notification.Application",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="申込",
        db_index=False,
    )

    class Meta:
        verbose_name = "提供履歴"
        verbose_name_plural = "提供履歴"
        ordering = ["-at", "-id"]
        indexes = [
            # 提供履歴: a line's providers with first/last/count, and one provider's dated list.
            models.Index(fields=["line", "provider", "at"], name="disclosure_line_provider"),
            models.Index(fields=["provider", "-at"], name="disclosure_provider"),
            models.Index(fields=["at"], name="disclosure_at"),  # roll-ups; SQLite's purge
        ]

    def __str__(self) -> str:
        at = timezone.localtime(self.at)
        return f"{at:%Y-%m-%d %H:%M:%S} {self.provider.code} {self.line.customer_id}"


class DisclosureMonth(models.Model):
    """The disclosure log rolled up per line, provider and month (Asia/Tokyo), so that 提供履歴
    reads at most 36 rows a provider however often the line was looked up. Written by the
    worker behind the log (rollups.py), never on a look-up's path."""

    # No index of their own: the unique constraint leads with them.
    line = models.ForeignKey(
        SubscriberLine,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="回線",
        db_index=False,
    )
    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="サービス提供者",
        db_index=False,
    )
    month = models.DateField("月")  # its first day
    first_at = models.DateTimeField("初回提供日時")
    last_at = models.DateTimeField("最終提供日時")
    times = models.PositiveIntegerField("提供回数")

    class Meta:
        verbose_name = "提供履歴 (月別)"
        verbose_name_plural = "提供履歴 (月別)"
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["line", "provider", "month"], name="disclosure_month_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.provider_id} {self.line_id} {self.times}"


class DisclosureDay(models.Model):
    """The disclosure log rolled up per provider and day (Asia/Tokyo): the 事業者ポータル's chart
    reads 30 rows however much the provider looks up. Written with DisclosureMonth, by the
    worker behind the log."""

    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="サービス提供者",
        db_index=False,
    )
    day = models.DateField("日")
    times = models.PositiveBigIntegerField("提供回数")

    class Meta:
        verbose_name = "提供履歴 (日別・事業者ごと)"
        verbose_name_plural = "提供履歴 (日別・事業者ごと)"
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "day"], name="disclosure_day_once"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.provider_id} {self.times}"


class DisclosureRollup(models.Model):
    """How far the log is rolled up: every disclosure before `through` is counted in
    DisclosureMonth and DisclosureDay, every later one only in the log. One row."""

    through = models.DateTimeField("集計済み (この時点まで)", null=True, blank=True)

    class Meta:
        verbose_name = "提供履歴の集計状況"
        verbose_name_plural = "提供履歴の集計状況"

    def __str__(self) -> str:
        return f"{self.through}"


# Webhooks (即時通知) ------------------------------------------------------------------------------


class Endpoint(models.Model):
    """The one HTTPS URL a provider is told at when a line's setting for it changes."""

    provider = models.OneToOneField(
        ServiceProvider,
        on_delete=models.PROTECT,
        related_name="endpoint",
        verbose_name="サービス提供者",
    )
    url = models.URLField("通知先URL", max_length=500)
    created_at = models.DateTimeField("登録日時", default=timezone.now)
    # Since when every attempt has failed (none since a success); past 5 days it is disabled,
    # as Svix does, and nothing is sent until the provider or an operator resumes it.
    failing_since = models.DateTimeField("失敗が続いている (から)", null=True, blank=True)
    failure_mailed_on = models.DateField("失敗を知らせた日", null=True, blank=True)
    disabled_at = models.DateTimeField("停止日時", null=True, blank=True)

    class Meta:
        verbose_name = "通知先URL"
        verbose_name_plural = "通知先URL"
        ordering = ["provider__code"]

    def __str__(self) -> str:
        return f"{self.provider.code} {self.url}"


class EndpointSecret(models.Model):
    """A signing secret (Standard Webhooks, whsec_…). Kept as is, since signing needs it; shown
    to the operator once. During a rotation the old and the new one both sign."""

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="secrets", verbose_name="通知先URL"
    )
    secret = models.CharField("署名鍵", max_length=100)
    created_at = models.DateTimeField("発行日時", default=timezone.now)
    expires_at = models.DateTimeField("失効日時", null=True, blank=True)

    class Meta:
        verbose_name = "署名鍵"
        verbose_name_plural = "署名鍵"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(secret__startswith="whsec_"), name="endpoint_secret_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint.provider.code} {self.secret[:10]}…"


class WebhookEvent(models.Model):
    """One message to a provider, written in the transaction that switched the setting (an
    outbox), then delivered by the worker until a 2xx or the end of the retry schedule."""

    class Type(models.TextChoices):
        ENABLED = "notification.enabled", "通知する"
        DISABLED = "notification.disabled", "通知しない"
        TEST = "notification.test", "テスト送信"

    class State(models.TextChoices):
        PENDING = "pending", "送信待ち"
        DELIVERED = "delivered", "送信済み"
        FAILED = "failed", "送信失敗"

    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.PROTECT,
        related_name="webhook_events",
        verbose_name="サービス提供者",
    )
    line = models.ForeignKey(
        SubscriberLine,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_events",
        verbose_name="回線",
    )
    application_item = models.OneToOneField(
        "notification.ApplicationItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="provider_notice",
        verbose_name="申込明細",
    )
    type = models.CharField("種類", max_length=30, choices=Type)
    webhook_id = models.CharField("webhook-id", max_length=40, unique=True)
    data = models.JSONField("data")
    created_at = models.DateTimeField("作成日時", default=timezone.now)
    state = models.CharField("状態", max_length=10, choices=State, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField("送信回数", default=0)
    next_attempt_at = models.DateTimeField("次回送信", default=timezone.now)
    # Set while a worker delivers it; a worker that dies leaves it to be claimed again after.
    claimed_until = models.DateTimeField("送信中 (期限)", null=True, blank=True)
    delivered_at = models.DateTimeField("送信日時", null=True, blank=True)
    last_error = models.TextField("最後のエラー", blank=True)

    class Meta:
        verbose_name = "即時通知"
        verbose_name_plural = "即時通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    type__in=["notification.enabled", "notification.disabled", "notification.test"]
                ),
                name="webhook_event_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "delivered", "failed"]),
                name="webhook_event_state_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_event_due"),
            models.Index(fields=["provider", "line", "state"], name="webhook_event_order"),
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.type}"


class DeliveryAttempt(models.Model):
    """One POST of an event: when, the answer (or the error), how long it took."""

    event = models.ForeignKey(
        WebhookEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name="即時通知"
    )
    at = models.DateTimeField("送信日時", default=timezone.now)
    status_code = models.PositiveSmallIntegerField("ステータスコード", null=True, blank=True)
    latency_ms = models.PositiveIntegerField("所要時間 (ミリ秒)")
    error = models.TextField("エラー", blank=True)
    # What the receiver answered, for the provider's own delivery log (事業者ポータル).
    response_body = models.TextField("応答の本文 (先頭1KiB)", blank=True)

    class Meta:
        verbose_name = "送信記録"
        verbose_name_plural = "送信記録"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.event.webhook_id} {self.status_code or self.error[:30]}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
