"""One row per operator action that changes data, and per admin login, logout and failed login.

Append-only: the model refuses to save an existing row or to delete one, and the database
refuses UPDATE and DELETE with a trigger (audit.append_only). The operator is kept as plain
values, not a foreign key, so the row outlives the operator's account.
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AppendOnly(Exception):
    """Raised on any attempt to change or delete an audit entry."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("監査ログは変更できません。")

    def delete(self):
        raise AppendOnly("監査ログは削除できません。")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", "ログイン"
        LOGOUT = "logout", "ログアウト"
        LOGIN_FAILED = "login_failed", "ログイン失敗"
        ADD = "add", "追加"
        CHANGE = "change", "変更"
        DELETE = "delete", "削除"
        REISSUE_ACCESS_KEY = "reissue_access_key", "アクセスキーを再発行"
        LIFT_LOCK = "lift_lock", "ロックを解除"
        CANCEL_APPLICATION = "cancel_application", "申込を取消"
        APPLY_NOW = "apply_now", "今すぐ工事"
        RETRY_MAIL = "retry_mail", "完了通知メールを再送"
        ISSUE_API_KEY = "issue_api_key", "APIキーを発行"
        REVOKE_API_KEY = "revoke_api_key", "APIキーを失効"
        REGISTER_ENDPOINT = "register_endpoint", "通知先URLを登録"
        CHANGE_ENDPOINT = "change_endpoint", "通知先URLを変更"
        ROTATE_SECRET = "rotate_secret", "署名鍵を更新"
        SEND_TEST = "send_test", "テスト送信"
        REDELIVER_EVENT = "redeliver_event", "即時通知を再送"
        # The provider console's own steps (console/).
        SET_PASSWORD = "set_password", "パスワードを設定"
        ENROL_TOTP = "enrol_totp", "確認コードを登録"
        RESUME_ENDPOINT = "resume_endpoint", "通知先URLを再開"

    at = models.DateTimeField("日時", default=timezone.now)
    # The username tried, for a failed login; operator_pk is then empty.
    operator = models.CharField("運用者", max_length=150, blank=True)
    operator_pk = models.BigIntegerField("運用者ID", null=True, blank=True)
    client_address = models.GenericIPAddressField("接続元", null=True, blank=True)
    request_id = models.CharField("リクエストID", max_length=32, blank=True)
    action = models.CharField("操作", max_length=32, choices=Action)
    target_type = models.CharField("対象の種類", max_length=100, blank=True)  # a model label
    target_id = models.CharField("対象ID", max_length=64, blank=True)
    target_repr = models.CharField("対象", max_length=200, blank=True)
    details = models.JSONField("詳細", default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "監査ログ"
        verbose_name_plural = "監査ログ"
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["at"], name="audit_at"),
            models.Index(fields=["operator", "at"], name="audit_operator_at"),
            models.Index(fields=["action", "at"], name="audit_action_at"),
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
        ]

    def __str__(self) -> str:
        at = timezone.localtime(self.at)
        return f"{at:%Y-%m-%d %H:%M:%S} {self.operator} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("監査ログは変更できません。")
        # Never an UPDATE, even for a new instance given the id of an existing row.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("監査ログは削除できません。")
