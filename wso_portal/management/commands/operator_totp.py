"""`manage.py operator_totp USERNAME`: enrol an operator's authenticator app for the admin's
second factor (WSO_ADMIN_REQUIRE_MFA).

Creates a confirmed TOTP device and prints its otpauth:// URI once; it is not kept anywhere it
could be shown again. Running it again replaces the operator's device (a lost phone), so the
old app's codes stop working.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "運用者の認証アプリ (TOTP) を登録し、otpauth:// URI を一度だけ表示します。"
        "再実行すると以前の登録は無効になります。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="運用者のユーザー名")

    def handle(self, *args, username, **options):
        operator = (
            get_user_model()
            ._default_manager.filter(username=username, is_staff=True, line__isnull=True)
            .first()
        )
        if operator is None:
            raise CommandError(f"運用者 {username} が見つかりません (スタッフの運用者のみ)。")
        with transaction.atomic():
            replaced = TOTPDevice.objects.filter(user=operator).delete()[0]
            device = TOTPDevice.objects.create(user=operator, name="認証アプリ", confirmed=True)
        if replaced:
            self.stdout.write("以前の認証アプリの登録を無効にしました。")
        self.stdout.write(
            "次の URI を認証アプリ (Google Authenticator、Microsoft Authenticator など) で"
            "読み取るか入力してください。表示はこの一度だけです。"
        )
        self.stdout.write(device.config_url)
