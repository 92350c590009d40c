"""Demo data for QA and `make run`: fixtures/demo.json, and the logins to try it with.

The fixture keeps access keys only as Argon2 hashes; the keys below are the demo's published
secrets, printed by this command. Its rows use primary keys from DEMO_PK_START upward, clear of
data created otherwise (generate_data starts above DEMO_PK_END), and it refers to the six
services of migration 0002_services by their primary keys 1 to 6.
"""

import json
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from notification.models import Application
from wso_portal.models import Lockout, LoginAttempt, Service, SubscriberLine
from wso_portal.signals import demo_loaded

FIXTURE = settings.BASE_DIR / "fixtures" / "demo.json"
DEMO_PK_START = 90001
DEMO_PK_END = 99999

# The services the fixture's contracts point at, as migration 0002_services numbers them.
SERVICE_PKS = {
    1: "flets-number",
    2: "line-notification",
    3: "security",
    4: "remote-support",
    5: "session-plus",
    6: "vpn-wide",
}


@dataclass(frozen=True)
class DemoLogin:
    flets_number: str
    access_key: str
    shows: str


DEMO_LOGINS = [
    DemoLogin(
        "06612340001",
        "4AZKMPBV",
        "通知先4件 (W0099 試験用を含む)。「通知しない」に設定する流れを試せます",
    ),
    DemoLogin(
        "06612340002",
        "JFUD3F8E",
        "通知先なし (---)。通知先追加と、通知先一覧のページ送りを試せます",
    ),
    DemoLogin(
        "06612340003",
        "23Y99FP2",
        "契約が複数の状態 (利用中+変更中→利用中 (※)、登録中、廃止中)",
    ),
    DemoLogin("06612340004", "3HRGNYBK", "ログインできない (利用停止中) ことを確かめられます"),
    DemoLogin("06612340005", "9GZCA7M7", "ログインできない (解約済み) ことを確かめられます"),
    DemoLogin("06612340006", "XA94X6EV", "通知先12件 (一覧の長い回線)"),
]
# The demo's API key of W0099 NTT西日本(試験用), published like the access keys above, and an
# address inside demo line 1's prefix (2001:db8:100::/56), which is 通知する for W0099.
DEMO_PROVIDER_CODE = "W0099"
DEMO_PROVIDER_KEY = "wso_n6g3qWheQwhP-0PE7KP5A93F6vypvsryHKAula19IKs"
DEMO_ADDRESS = "2001:db8:100::1"
# W0099's webhook endpoint in the demo: `manage.py demo_receiver` listens there (make run starts
# it) and verifies each event with this signing secret. The fixture also holds one earlier
# disclosure of demo line 1 to W0099, so switching W0099 off sends it a disabled event.
DEMO_RECEIVER_PORT = 8001
DEMO_WEBHOOK_SECRET = "whsec_BKQdKfkr4nblKiXfxaavSjcOVKldKWAzBuO6UYEZd1U="
OPERATOR_USERNAME = "operator"
OPERATOR_PASSWORD = "demo-operator-2026"


def demo_numbers() -> list[str]:
    return [login.flets_number for login in DEMO_LOGINS]


def remove_demo_data() -> None:
    """The demo lines with everything hanging off them: applications, settings, contracts,
    acceptances, login records, locks, their accounts and sessions. Providers, announcements,
    the agreement and the operator are put back to the fixture's values by loading it again."""
    User = get_user_model()
    numbers = demo_numbers()
    lines = SubscriberLine.objects.filter(flets_number__in=numbers)
    user_ids = set(lines.values_list("user_id", flat=True))
    user_ids |= set(User.objects.filter(username__in=numbers).values_list("pk", flat=True))
    session_user_ids = user_ids | set(
        User.objects.filter(username=OPERATOR_USERNAME).values_list("pk", flat=True)
    )

    Application.objects.filter(line__in=lines).delete()  # items and events go with them
    lines.delete()  # settings, contracts and acceptances go with them
    User.objects.filter(pk__in=user_ids).delete()
    LoginAttempt.objects.filter(flets_number__in=numbers).delete()
    Lockout.objects.filter(kind=Lockout.Kind.LINE, key__in=numbers).delete()
    wanted = {str(pk) for pk in session_user_ids}
    stale = [
        session.pk
        for session in Session.objects.iterator()
        if session.get_decoded().get("_auth_user_id") in wanted
    ]
    Session.objects.filter(pk__in=stale).delete()


def check_services() -> None:
    found = dict(Service.objects.filter(pk__in=SERVICE_PKS).values_list("pk", "code"))
    if found != SERVICE_PKS:
        raise CommandError(
            "サービスの行が migration wso_portal.0002_services の内容と一致しないため、"
            "デモデータを読み込めません。新しいデータベースで migrate してから実行してください。"
        )


def check_conflicts() -> None:
    """Rows the fixture would collide with: the same username or provider code kept elsewhere
    (say an `operator` made with createsuperuser). Refused with a message, not a traceback."""
    rows = json.loads(FIXTURE.read_text())
    unique_keys = {"auth.user": "username", "notification.serviceprovider": "code"}
    clashes = []
    for label, field in unique_keys.items():
        model = apps.get_model(label)
        wanted = {r["fields"][field]: r["pk"] for r in rows if r["model"] == label}
        for pk, value in model.objects.filter(**{f"{field}__in": wanted}).values_list("pk", field):
            if pk != wanted[value]:
                clashes.append(f"{model._meta.verbose_name} {value}")
    if clashes:
        raise CommandError(
            "デモデータと同じ名前のデータが既にあるため読み込めません: " + "、".join(clashes)
        )


class Command(BaseCommand):
    help = "デモデータを読み込み (回線がまだない場合、または --reset)、デモ用ログインを表示します。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="既存のデモデータ (申込・通知設定・セッションを含む) を消してから読み込み直す",
        )
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="表示するサイトのURL (既定: %(default)s)"
        )

    def handle(self, *args, reset: bool, url: str, **options):
        check_services()
        if reset:
            with transaction.atomic():
                remove_demo_data()
                check_conflicts()
                call_command("loaddata", FIXTURE, verbosity=0)
            self.stdout.write(self.style.SUCCESS("デモデータを読み込み直しました。"))
        elif not SubscriberLine.objects.exists():
            check_conflicts()
            call_command("loaddata", FIXTURE, verbosity=0)
            self.stdout.write(self.style.SUCCESS("デモデータを読み込みました。"))
        else:
            self.stdout.write(
                "回線が既に登録されているため、デモデータは読み込みませんでした"
                " (読み込み直すには manage.py demo --reset)。"
            )
        self.print_logins(url.rstrip("/"))

    def print_logins(self, url: str) -> None:
        lines = {
            line.flets_number: line
            for line in SubscriberLine.objects.filter(flets_number__in=demo_numbers())
        }
        rule = "=" * 78
        out = [
            rule,
            f" デモ用ログイン  {url}/login/",
            "-" * 78,
            " フレッツナンバー  アクセスキー  状態        内容",
        ]
        for login in DEMO_LOGINS:
            line = lines.get(login.flets_number)
            status = line.get_status_display() if line else "未登録"
            out.append(
                f" {login.flets_number}       {login.access_key}      "
                f"{status}{'　' * (6 - len(status))}{login.shows}"
            )
        operator_exists = (
            get_user_model().objects.filter(username=OPERATOR_USERNAME, is_staff=True).exists()
        )
        out += [
            "-" * 78,
            f" 運用管理 (admin)  {url}/admin/",
            f"   ユーザー名 {OPERATOR_USERNAME}  パスワード {OPERATOR_PASSWORD}"
            + ("" if operator_exists else "  (未登録)"),
            "-" * 78,
            f" サービス提供者API  {url}/api/v1/docs",
            f"   {DEMO_PROVIDER_CODE} NTT西日本(試験用) のAPIキー {DEMO_PROVIDER_KEY}",
            f"   デモ回線1 ({DEMO_LOGINS[0].flets_number}) のアドレス {DEMO_ADDRESS}",
            f"   curl -s {url}/api/v1/lookups -H 'Authorization: Bearer {DEMO_PROVIDER_KEY}' \\",
            "     -H 'Content-Type: application/json' "
            + f"""-d '{{"addresses": ["{DEMO_ADDRESS}"]}}'""",
            f"   即時通知の受信 (W0099)  http://127.0.0.1:{DEMO_RECEIVER_PORT}/webhooks"
            "  署名を確かめて端末に表示します",
        ]
        # The higher apps' demo logins (the provider console's), each after a rule.
        for _, more in demo_loaded.send(sender=self.__class__, url=url):
            if more:
                out += ["-" * 78, *more]
        out.append(rule)
        self.stdout.write("\n".join(out))
