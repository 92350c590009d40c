from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from notification.models import ServiceProvider

from ...models import ProviderUser
from ...services import UserExists, create_provider_user, set_password_path


class Command(BaseCommand):
    help = "事業者ポータルのユーザーを登録し、パスワード設定用のリンク (1回限り) を表示します。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="command", required=True)
        create = sub.add_parser("create", help="ユーザーを登録する")
        create.add_argument("code", help="事業者コード (例: W0099)")
        create.add_argument("email", help="メールアドレス")
        create.add_argument(
            "--url", default="http://127.0.0.1:8000", help="サイトのURL (既定: %(default)s)"
        )
        listing = sub.add_parser("list", help="ユーザーの一覧")
        listing.add_argument("code", help="事業者コード")

    def handle(self, *args, command: str, code: str, **options):
        provider = ServiceProvider.objects.filter(code=code.strip().upper()).first()
        if provider is None:
            raise CommandError(f"事業者コード {code} のサービス提供者はありません。")
        if command == "list":
            for user in ProviderUser.objects.filter(provider=provider).select_related("user"):
                self.stdout.write(f"{user.email}\t{user.created_at:%Y-%m-%d %H:%M}")
            return
        try:
            provider_user = create_provider_user(provider, options["email"])
        except (UserExists, ValidationError) as exc:
            message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(message) from None
        link = options["url"].rstrip("/") + set_password_path(provider_user.user)
        self.stdout.write(
            f"{provider.code} {provider.name} のユーザー {provider_user.email} を登録しました。\n"
            "次のリンクからパスワードを設定してください (1回限り、"
            "3日以内。この表示は再表示できません):\n"
            f"{link}"
        )
