"""`manage.py provider_key create|list|revoke CODE`: providers' API keys from the command line.

`create` writes the new key alone on stdout, so that `KEY=$(manage.py provider_key create W0099)`
captures it; everything meant for a person goes to stderr. No command ever prints a stored secret:
only the key's display prefix (`wso_` and 8 characters) and its id identify it.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notification.models import ServiceProvider
from providers.management import provider_from_argument
from providers.models import ProviderKey
from providers.services import TooManyKeys, create_key, revoke_key


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}" if moment else "-"


class Command(BaseCommand):
    help = "サービス提供者のAPIキーを発行 (create)、一覧表示 (list)、失効 (revoke) します。"

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="create|list|revoke")
        create = actions.add_parser(
            "create", help="新しいAPIキーを発行し、標準出力に一度だけ表示します。"
        )
        listing = actions.add_parser(
            "list", help="APIキーを一覧表示します (キーそのものは出ません)。"
        )
        revoke = actions.add_parser("revoke", help="APIキーを1つ失効させます。")
        for action in (create, listing, revoke):
            action.add_argument("code", help="事業者コード (例: W0099)")
        revoke.add_argument("key", help="キーの先頭 (例: wso_AbCd1234) またはID")

    def handle(self, *args, action, code, **options):
        provider = provider_from_argument(code)
        if action == "create":
            self._create(provider)
        elif action == "list":
            self._list(provider)
        else:
            self._revoke(provider, options["key"])

    def _create(self, provider: ServiceProvider) -> None:
        try:
            key, plain = create_key(provider)
        except TooManyKeys as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(plain)
        self.stderr.write(
            f"{provider} のAPIキー {key.display_prefix}… (ID {key.pk}) を発行しました。"
            "このキーは二度と表示されません。安全な方法でサービス提供者へ渡してください。",
            style_func=self.style.SUCCESS,
        )
        if not provider.active:
            self.stderr.write(
                "注意: このサービス提供者は無効です。有効にするまで、このキーでの照会は"
                "受け付けられません。",
                style_func=self.style.WARNING,
            )

    def _list(self, provider: ServiceProvider) -> None:
        keys = provider.api_keys.order_by("-created_at", "-pk")
        # Tab-separated, a header first: readable, and easy to cut or awk in a script.
        self.stdout.write(
            "\t".join(["ID", "キー (先頭)", "状態", "発行日時", "最終利用日時", "失効日時"])
        )
        for key in keys:
            self.stdout.write(
                "\t".join(
                    [
                        str(key.pk),
                        key.display_prefix,
                        "有効" if key.is_live else "失効",
                        _when(key.created_at),
                        _when(key.last_used_at),
                        _when(key.revoked_at),
                    ]
                )
            )

    def _revoke(self, provider: ServiceProvider, identifier: str) -> None:
        key = self._key(provider, identifier.strip().rstrip("…"))
        if revoke_key(key):
            self.stdout.write(
                f"{provider.code} のAPIキー {key.display_prefix}… (ID {key.pk}) を失効させました。"
            )
        else:
            self.stdout.write(
                f"{provider.code} のAPIキー {key.display_prefix}… (ID {key.pk}) は"
                f"既に失効しています ({_when(key.revoked_at)})。"
            )

    def _key(self, provider: ServiceProvider, identifier: str) -> ProviderKey:
        """The provider's key with this id or this exact display prefix, and only that one."""
        keys = provider.api_keys.all()
        if identifier.isdigit():
            matches = list(keys.filter(pk=int(identifier)))
        else:
            matches = list(keys.filter(display_prefix=identifier)[:2])
        if not matches:
            raise CommandError(
                f"{provider.code} に「{identifier}」のAPIキーはありません。"
                f"`provider_key list {provider.code}` で確かめてください。"
            )
        if len(matches) > 1:
            raise CommandError(
                f"「{identifier}」に当てはまるAPIキーが {provider.code} に複数あります。"
                "IDで指定してください。"
            )
        return matches[0]
