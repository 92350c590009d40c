"""`manage.py disclosure_partitions`: the disclosure log's partitions for this month and the next
ones, made where missing (PostgreSQL; nothing to do on SQLite). For cron, daily:

    5 0 * * *  cd /app && python manage.py disclosure_partitions

migrate, purge and the worker (hourly) make them too: this is the belt beside the braces.
"""

from django.core.management.base import BaseCommand

from providers import partitions


class Command(BaseCommand):
    help = (
        "提供履歴のパーティション (今月と翌月以降) を、なければ作成します。"
        "cron から1日1回実行してください。"
    )

    def handle(self, *args, **options):
        created = partitions.ensure()
        for table in partitions.partitioned_tables():
            if partitions.is_partitioned(table):
                months = partitions.months_of(table)
                span = f"{months[0]:%Y-%m}〜{months[-1]:%Y-%m}" if months else "なし"
                self.stdout.write(f"{table}: {len(months)}か月 ({span})")
        self.stdout.write(f"作成したパーティション: {created}")
