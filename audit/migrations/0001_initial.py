"""The audit log, append-only in the database too: a trigger refuses UPDATE and DELETE on
PostgreSQL and on SQLite (audit.append_only)."""

import django.core.serializers.json
import django.utils.timezone
from django.db import migrations, models


def install_append_only(apps, schema_editor):
    from audit import append_only

    append_only.install(schema_editor.connection)


def remove_append_only(apps, schema_editor):
    from audit import append_only

    append_only.remove(schema_editor.connection)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='日時')),
                ('operator', models.CharField(blank=True, max_length=150, verbose_name='運用者')),
                ('operator_pk', models.BigIntegerField(blank=True, null=True, verbose_name='運用者ID')),
                ('client_address', models.GenericIPAddressField(blank=True, null=True, verbose_name='接続元')),
                ('request_id', models.CharField(blank=True, max_length=32, verbose_name='リクエストID')),
                ('action', models.CharField(choices=[('login', 'ログイン'), ('logout', 'ログアウト'), ('login_failed', 'ログイン失敗'), ('add', '追加'), ('change', '変更'), ('delete', '削除'), ('reissue_access_key', 'アクセスキーを再発行'), ('lift_lock', 'ロックを解除'), ('cancel_application', '申込を取消'), ('apply_now', '今すぐ工事'), ('retry_mail', '完了通知メールを再送'), ('issue_api_key', 'APIキーを発行'), ('revoke_api_key', 'APIキーを失効'), ('register_endpoint', '通知先URLを登録'), ('change_endpoint', '通知先URLを変更'), ('rotate_secret', '署名鍵を更新'), ('send_test', 'テスト送信'), ('redeliver_event', '即時通知を再送')], max_length=32, verbose_name='操作')),
                ('target_type', models.CharField(blank=True, max_length=100, verbose_name='対象の種類')),
                ('target_id', models.CharField(blank=True, max_length=64, verbose_name='対象ID')),
                ('target_repr', models.CharField(blank=True, max_length=200, verbose_name='対象')),
                ('details', models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name='詳細')),
            ],
            options={
                'verbose_name': '監査ログ',
                'verbose_name_plural': '監査ログ',
                'ordering': ['-at'],
                'indexes': [models.Index(fields=['at'], name='audit_at'), models.Index(fields=['operator', 'at'], name='audit_operator_at'), models.Index(fields=['action', 'at'], name='audit_action_at'), models.Index(fields=['target_type', 'target_id'], name='audit_target')],
            },
        ),
        migrations.RunPython(install_append_only, remove_append_only),
    ]
