from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PROVIDER_CODE_PATTERN = r"^[A-Z][0-9]{4}$"


class ServiceProvider(models.Model):
    """サービス提供者 connected to the NGN, a possible 通知先."""

    code = models.CharField("事業者コード", max_length=5, unique=True)
    name = models.CharField("サービス提供者名", max_length=100)
    service_name = models.CharField("サービス名", max_length=100)
    active = models.BooleanField("有効", default=True)

    class Meta:
        verbose_name = "サービス提供者"
        verbose_name_plural = "サービス提供者"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=PROVIDER_CODE_PATTERN), name="provider_code_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class NotificationSetting(models.Model):
    """Whether a line's お客様ID is told to a provider. No row means 通知しない."""

    line = models.ForeignKey(
        "wso_portal.SubscriberLine",
        on_delete=models.CASCADE,
        related_name="notification_settings",
        verbose_name="回線",
    )
    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.PROTECT,
        related_name="settings",
        verbose_name="サービス提供者",
    )
    notify = models.BooleanField("通知する")
    set_at = models.DateTimeField("設定日", default=timezone.now)
    set_via = models.CharField("設定方法", max_length=40, default="申込受付ページ")
    # The application whose 工事 set it, with the 同意書 agreed to; none when set otherwise.
    application = models.ForeignKey(
        "Application",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="申込",
    )

    class Meta:
        verbose_name = "通知設定"
        verbose_name_plural = "通知設定"
        ordering = ["provider__code"]
        constraints = [
            models.UniqueConstraint(fields=["line", "provider"], name="setting_one_per_provider"),
        ]
        indexes = [models.Index(fields=["line", "notify"], name="setting_line_notify")]

    def __str__(self) -> str:
        setting = "通知する" if self.notify else "通知しない"
        return f"{self.line.flets_number} {self.provider.code} {setting}"


# settings.LANGUAGES, as the choices of Application.language (fixed here, not read from settings,
# so that a settings change never makes a migration).
LANGUAGES = [("ja", "日本語"), ("en", "English")]


class Direction(models.TextChoices):
    NOTIFY = "notify", _("通知する")
    STOP = "stop", _("通知しない")


class Application(models.Model):
    """申込: providers switched one way for a line, applied later by the 工事."""

    class State(models.TextChoices):
        RECEIVED = "received", _("受付")
        IN_PROGRESS = "in_progress", _("工事中")
        COMPLETED = "completed", _("完了")
        FAILED = "failed", _("失敗")
        CANCELLED = "cancelled", _("取消")

    OPEN_STATES = (State.RECEIVED, State.IN_PROGRESS)

    class MailState(models.TextChoices):
        NOT_REQUESTED = "not_requested", "希望しない"
        PENDING = "pending", "送信待ち"
        SENT = "sent", "送信済み"
        FAILED = "failed", "送信失敗"

    receipt_number = models.CharField("受付番号", max_length=20, unique=True)
    line = models.ForeignKey(
        "wso_portal.SubscriberLine",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name="回線",
    )
    direction = models.CharField("変更後", max_length=10, choices=Direction)
    applicant_name = models.CharField("お名前", max_length=20)
    applicant_phone = models.CharField("ご連絡先電話番号", max_length=13)
    applicant_email = models.EmailField("ご連絡先メールアドレス", max_length=254, blank=True)
    wants_completion_mail = models.BooleanField("「工事完了通知メール」配信")
    agreement_version = models.ForeignKey(
        "agreements.AgreementVersion",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name="同意書の版",
    )
    agreed_at = models.DateTimeField("同意日時")
    submission_token = models.UUIDField("送信トークン", unique=True)
    state = models.CharField("状態", max_length=12, choices=State, default=State.RECEIVED)
    received_at = models.DateTimeField("受付日時", default=timezone.now)
    due_at = models.DateTimeField("工事予定日時", db_index=True)
    started_at = models.DateTimeField("工事開始日時", null=True, blank=True)
    completed_at = models.DateTimeField("完了日時", null=True, blank=True)
    failed_at = models.DateTimeField("失敗日時", null=True, blank=True)
    failure_reason = models.TextField("失敗理由", blank=True)
    cancelled_at = models.DateTimeField("取消日時", null=True, blank=True)
    mail_state = models.CharField(
        "完了通知メール", max_length=15, choices=MailState, default=MailState.NOT_REQUESTED
    )
    mail_attempts = models.PositiveSmallIntegerField("メール送信回数", default=0)
    mail_next_attempt_at = models.DateTimeField("次回メール送信", null=True, blank=True)
    mail_sent_at = models.DateTimeField("メール送信日時", null=True, blank=True)
    mail_last_error = models.TextField("メール送信エラー", blank=True)
    # The language of the screens the application was made on; its completion mail is in it.
    language = models.CharField("言語", max_length=10, choices=LANGUAGES, default="ja")

    class Meta:
        verbose_name = "申込"
        verbose_name_plural = "申込"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=["notify", "stop"]), name="application_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    state__in=["received", "in_progress", "completed", "failed", "cancelled"]
                ),
                name="application_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(wants_completion_mail=False) | ~Q(applicant_email=""),
                name="application_mail_needs_address",
            ),
            models.CheckConstraint(
                condition=Q(language__in=["ja", "en"]), name="application_language_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="application_due"),
            models.Index(
                fields=["mail_state", "mail_next_attempt_at"], name="application_mail_due"
            ),
            models.Index(fields=["line", "-received_at"], name="application_history"),
        ]

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class ApplicationItem(models.Model):
    """One provider of an application. `is_open` mirrors the application's state so that
    the database itself refuses two open applications for the same provider of a line."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="items", verbose_name="申込"
    )
    line = models.ForeignKey(
        "wso_portal.SubscriberLine",
        on_delete=models.PROTECT,
        related_name="application_items",
        verbose_name="回線",
    )
    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.PROTECT,
        related_name="application_items",
        verbose_name="サービス提供者",
    )
    is_open = models.BooleanField("工事中", default=True)

    class Meta:
        verbose_name = "申込明細"
        verbose_name_plural = "申込明細"
        ordering = ["provider__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["line", "provider"],
                condition=Q(is_open=True),
                name="item_one_open_per_provider",
            ),
            models.UniqueConstraint(
                fields=["application", "provider"], name="item_provider_once_per_application"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.receipt_number} {self.provider.code}"


class ApplicationEvent(models.Model):
    """State history of an application, one row per transition."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="events", verbose_name="申込"
    )
    state = models.CharField("状態", max_length=12, choices=Application.State)
    at = models.DateTimeField("日時", default=timezone.now)
    note = models.TextField("備考", blank=True)

    class Meta:
        verbose_name = "申込履歴"
        verbose_name_plural = "申込履歴"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application.receipt_number} {self.get_state_display()}"


class BlockedMailDomain(models.Model):
    """Mobile carriers' mail domains, refused as ご連絡先メールアドレス."""

    domain = models.CharField("ドメイン", max_length=100, unique=True)
    note = models.CharField("備考", max_length=100, blank=True)

    class Meta:
        verbose_name = "受付不可メールドメイン"
        verbose_name_plural = "受付不可メールドメイン"
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(
                condition=Q(domain__regex=r"^[a-z0-9.-]+\.[a-z]{2,}$"), name="blocked_domain_format"
            ),
        ]

    def __str__(self) -> str:
        return self.domain
