"""`manage.py purge`: what the portal keeps no longer than it needs, deleted. For cron, daily:

    15 3 * * *  cd /app && python manage.py purge

Expired sessions (with the flows' applicant details in them), login records past
WSO_LOGIN_RECORD_RETENTION_DAYS, the disclosure log before the month that holds the moment
WSO_DISCLOSURE_RETENTION_DAYS ago (on PostgreSQL whole monthly partitions, dropped; the coming
months' partitions are made first), and delivered or failed webhook events past the same
retention, with their delivery attempts. Deletes in batches, beside live traffic.
"""

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from providers.services import delete_in_batches, purge_disclosures, retention_start
from providers.webhooks import purge_events
from wso_portal.login import purge_login_records


class Command(BaseCommand):
    help = (
        "期限切れのセッション、保存期間を過ぎたログイン記録・提供履歴・即時通知を削除します。"
        "cron から1日1回実行してください。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=10_000, help="1回の DELETE で削除する件数。"
        )

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size には1以上の数を指定してください。")
        now = timezone.now()
        sessions = delete_in_batches(
            Session.objects.filter(expire_date__lt=now), batch_size=batch_size
        )[Session._meta.label]
        logins = purge_login_records(now=now)
        disclosures = purge_disclosures(now=now, batch_size=batch_size)
        events, attempts = purge_events(now=now, batch_size=batch_size)
        kept_from = f"{timezone.localtime(retention_start(now)):%Y/%m/%d}"
        login_days = settings.WSO_LOGIN_RECORD_RETENTION_DAYS
        self.stdout.write(
            "\n".join(
                [
                    f"期限切れのセッション: {sessions}件",
                    f"ログイン記録 ({login_days}日より前): {logins}件",
                    f"提供履歴 ({kept_from}より前): {disclosures}件",
                    f"即時通知 ({kept_from}より前、送信済み・送信失敗): {events}件",
                    f"その即時通知の送信記録: {attempts}件",
                ]
            )
            + "\nを削除しました。"
        )
