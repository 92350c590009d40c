"""`manage.py purge_disclosures`: drop the disclosure log's rows past the retention window.

Meant for cron, once a day; it deletes in batches, so it can run beside the API.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from providers.services import purge_disclosures, retention_start


class Command(BaseCommand):
    help = (
        "保存期間 (WSO_DISCLOSURE_RETENTION_DAYS) を過ぎた提供履歴を削除します。"
        "cron から1日1回実行してください。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=10_000,
            help="1回の DELETE で削除する件数 (既定 10000)。",
        )

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size には1以上の数を指定してください。")
        now = timezone.now()
        deleted = purge_disclosures(now=now, batch_size=batch_size)
        self.stdout.write(
            f"{deleted}件の提供履歴を削除しました "
            f"(保存期間 {settings.WSO_DISCLOSURE_RETENTION_DAYS}日: "
            f"{timezone.localtime(retention_start(now)):%Y-%m-%d %H:%M:%S} より前)。"
        )
