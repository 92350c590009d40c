"""A large synthetic data set for benchmarks and QA.

Every generated line gets the same access key, hashed once: hashing a million keys one by one
would take hours. Rows are written in large batches (COPY on PostgreSQL, bulk_create elsewhere)
with primary keys chosen here, above the demo's block, so that the demo can still be loaded.
Generated フレッツナンバー are 09 + 9 digits and お客様ID CAF9 + 9 digits (the demo uses 066… and
CAF0…); generated provider codes start at Z0000 and go down the alphabet (the demo's run A…W).
"""

import random
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from notification.models import NotificationSetting, ServiceProvider
from wso_portal.access_keys import generate_access_key
from wso_portal.models import SubscriberLine, prefix_range

from .demo import DEMO_PK_END

FLETS_PREFIX = "09"
CUSTOMER_PREFIX = "CAF9"
MAX_SERIAL = 999_999_999
SERVICE_NAMES = [
    "IP電話",
    "映像配信",
    "ゲーム",
    "音楽配信",
    "オンライン学習",
    "遠隔診療",
    "ホームセキュリティ",
    "クラウドストレージ",
    "テレビ会議",
    "電子書籍",
    "スマートホーム",
    "見守り",
]


def flets_number(serial: int) -> str:
    return f"{FLETS_PREFIX}{serial:09d}"


def customer_id(serial: int) -> str:
    return f"{CUSTOMER_PREFIX}{serial:09d}"


def ipv6_prefix(serial: int) -> str:
    """A /56 per line inside 2001:db8:8000::/33, in the canonical form the model requires."""
    high = 0x8000 | ((serial >> 8) & 0x7FFF)
    low = (serial & 0xFF) << 8
    return f"2001:db8:{high:x}:{low:x}::/56" if low else f"2001:db8:{high:x}::/56"


def provider_codes(taken: set[str], count: int) -> list[str]:
    codes = []
    for letter in "ZYXVUTSRQPONMLKJIHGFEDCBA":
        for number in range(10_000):
            code = f"{letter}{number:04d}"
            if code not in taken:
                codes.append(code)
                if len(codes) == count:
                    return codes
    raise CommandError(f"事業者コードの空きが足りません ({len(codes)} 件)。")


class Writer:
    """Inserts rows given as tuples of column values, with COPY where the database has it."""

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self.copy = connection.vendor == "postgresql"

    def insert(self, model, fields: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.copy:
            columns = ", ".join(
                connection.ops.quote_name(model._meta.get_field(f).column) for f in fields
            )
            table = connection.ops.quote_name(model._meta.db_table)
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            model.objects.bulk_create(
                (model(**dict(zip(fields, row, strict=True))) for row in rows),
                batch_size=self.batch_size,
            )


def written_models() -> list:
    """The tables this command writes."""
    return [get_user_model(), SubscriberLine, ServiceProvider, NotificationSetting]


def next_id(model) -> int:
    return max(model.objects.aggregate(m=Max("pk"))["m"] or 0, DEMO_PK_END) + 1


class Command(BaseCommand):
    help = "ベンチマーク用の大量の合成データ (回線・サービス提供者・通知設定) を作ります。"

    def add_arguments(self, parser):
        parser.add_argument("--lines", type=int, default=1000, help="回線数 (既定: %(default)s)")
        parser.add_argument(
            "--providers", type=int, default=100, help="サービス提供者数 (既定: %(default)s)"
        )
        parser.add_argument(
            "--settings-per-line",
            type=int,
            default=3,
            help="回線ごとの通知設定の数 (既定: %(default)s)",
        )
        parser.add_argument(
            "--notify-ratio",
            type=float,
            default=0.8,
            help="通知設定のうち「通知する」の割合 (既定: %(default)s)",
        )
        parser.add_argument(
            "--access-key", help="全回線共通のアクセスキー (既定: 生成して表示します)"
        )
        parser.add_argument("--batch-size", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        lines, providers = options["lines"], options["providers"]
        per_line = options["settings_per_line"]
        if lines < 0 or providers < 0 or per_line < 0:
            raise CommandError("件数には0以上を指定してください。")
        if not 0 <= options["notify_ratio"] <= 1:
            raise CommandError("--notify-ratio には0から1の値を指定してください。")
        access_key = options["access_key"] or generate_access_key()
        rng = random.Random(options["seed"])
        writer = Writer(options["batch_size"])
        started = time.monotonic()
        # Inside a caller's transaction (a test's) the rows are not committed and may be rolled
        # back, while ANALYZE's row counts stay (PostgreSQL writes them in place): later plans
        # would be made for tables of this size. Statistics are taken only of committed rows.
        committed_at_end = not connection.in_atomic_block

        with transaction.atomic():
            provider_ids = self.make_providers(writer, providers)
            if lines and per_line > len(provider_ids):
                raise CommandError(
                    f"--settings-per-line ({per_line}) が作成するサービス提供者数を超えています。"
                )
            first = self.make_lines(
                writer, rng, lines, provider_ids, per_line, options["notify_ratio"], access_key
            )
            self.phase("書き込み", started, options)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    for sql in connection.ops.sequence_reset_sql(no_style(), written_models()):
                        cursor.execute(sql)
        self.phase("確定 (外部キーの検査を含む)", started, options)
        if connection.vendor == "postgresql" and committed_at_end:
            # Fresh statistics, so that benchmarks right after see the plans production would.
            with connection.cursor() as cursor:
                for model in written_models():
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            self.phase("統計の更新", started, options)

        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"回線 {lines:,} 件、サービス提供者 {providers:,} 件、"
                f"通知設定 {lines * per_line:,} 件を作成しました ({elapsed:.1f} 秒)。"
            )
        )
        if first is not None:
            self.stdout.write(
                f"ログイン例: フレッツナンバー {flets_number(first)} / アクセスキー {access_key}"
                " (作成した全回線で共通)"
            )

    def phase(self, name: str, started: float, options) -> None:
        if options["verbosity"] >= 2:
            self.stdout.write(f"  {name}: {time.monotonic() - started:.1f} 秒経過")

    def make_providers(self, writer: Writer, count: int) -> list[int]:
        taken = set(ServiceProvider.objects.values_list("code", flat=True))
        start = next_id(ServiceProvider)
        rows = [
            (
                start + i,
                code,
                f"合成事業者{code}株式会社",
                SERVICE_NAMES[i % len(SERVICE_NAMES)],
                True,
            )
            for i, code in enumerate(provider_codes(taken, count))
        ]
        writer.insert(ServiceProvider, ["id", "code", "name", "service_name", "active"], rows)
        return [row[0] for row in rows]

    def make_lines(self, writer, rng, count, provider_ids, per_line, ratio, access_key):
        """Lines with their accounts and settings; returns the first line's serial."""
        if count == 0:
            return None
        User = get_user_model()
        last = SubscriberLine.objects.filter(
            flets_number__gte=flets_number(0), flets_number__lte=flets_number(MAX_SERIAL)
        ).aggregate(m=Max("flets_number"))["m"]
        first = int(last[len(FLETS_PREFIX) :]) + 1 if last else 1
        if first + count - 1 > MAX_SERIAL:
            raise CommandError("合成用のフレッツナンバーの空きが足りません。")
        password = make_password(access_key)  # once, for every line
        user_id, line_id, setting_id = (
            next_id(User),
            next_id(SubscriberLine),
            next_id(NotificationSetting),
        )
        now = timezone.now()
        user_fields = [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        ]
        line_fields = ["id", "user_id", "flets_number", "customer_id", "ipv6_prefix"]
        line_fields += ["prefix_start", "prefix_end", "status", "created_at"]
        setting_fields = ["id", "line_id", "provider_id", "notify", "set_at", "set_via"]
        batch = writer.batch_size
        for offset in range(0, count, batch):
            users, lines, settings = [], [], []
            for i in range(offset, min(offset + batch, count)):
                serial = first + i
                number = flets_number(serial)
                prefix = ipv6_prefix(serial)
                users.append((user_id + i, password, False, number, "", "", "", False, True, now))
                lines.append(
                    (
                        line_id + i,
                        user_id + i,
                        number,
                        customer_id(serial),
                        prefix,
                        *prefix_range(prefix),
                        SubscriberLine.Status.ACTIVE,
                        now,
                    )
                )
                for provider in rng.sample(provider_ids, per_line):
                    settings.append(
                        (
                            setting_id,
                            line_id + i,
                            provider,
                            rng.random() < ratio,
                            now - timedelta(days=rng.randrange(1, 1500)),
                            "申込受付ページ",
                        )
                    )
                    setting_id += 1
            writer.insert(User, user_fields, users)
            writer.insert(SubscriberLine, line_fields, lines)
            writer.insert(NotificationSetting, setting_fields, settings)
            self.stdout.write(f"  {min(offset + batch, count):,} / {count:,} 回線", ending="\r")
            self.stdout.flush()
        self.stdout.write("")
        return first
