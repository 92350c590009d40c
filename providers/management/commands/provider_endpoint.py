"""`manage.py provider_endpoint CODE [--url URL | --rotate]`: a provider's 通知先URL (即時通知).

`--url` registers or changes the URL. When it creates the endpoint, the new signing secret is
written alone on stdout, so that `SECRET=$(manage.py provider_endpoint W0099 --url …)` captures
it; `--rotate` does the same with a new secret. Everything meant for a person goes to stderr.
Without an option the URL and the secrets' dates are shown; a stored secret is never printed.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notification.models import ServiceProvider
from providers.management import provider_from_argument
from providers.models import Endpoint
from providers.webhooks import UnsafeURL, register_endpoint, rotate_secret


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}" if moment else "-"


class Command(BaseCommand):
    help = (
        "サービス提供者の通知先URL (即時通知) を登録・変更 (--url) し、署名鍵を更新 (--rotate) "
        "します。オプションなしでは登録内容を表示します (署名鍵そのものは出ません)。"
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="事業者コード (例: W0099)")
        what = parser.add_mutually_exclusive_group()
        what.add_argument(
            "--url",
            help="通知先URL (https://…)。新しく登録したときは署名鍵を標準出力に一度だけ表示します。",
        )
        what.add_argument(
            "--rotate",
            action="store_true",
            help="新しい署名鍵を発行して標準出力に一度だけ表示します。古い鍵もしばらく署名に使われます。",
        )

    def handle(self, *args, code, url=None, rotate=False, **options):
        provider = provider_from_argument(code)
        if url is not None:
            self._register(provider, url.strip())
        elif rotate:
            self._rotate(self._endpoint(provider))
        else:
            self._show(provider)

    def _endpoint(self, provider: ServiceProvider) -> Endpoint:
        endpoint = Endpoint.objects.filter(provider=provider).first()
        if endpoint is None:
            raise CommandError(
                f"{provider.code} の通知先URLは登録されていません。--url で登録してください。"
            )
        return endpoint

    def _register(self, provider: ServiceProvider, url: str) -> None:
        try:
            endpoint, secret = register_endpoint(provider, url)
        except UnsafeURL as exc:
            raise CommandError(str(exc)) from None
        if secret is None:
            self.stderr.write(
                f"{provider} の通知先URLを {endpoint.url} に変更しました。署名鍵は変わりません。",
                style_func=self.style.SUCCESS,
            )
            return
        self.stdout.write(secret)
        self.stderr.write(
            f"{provider} の通知先URL {endpoint.url} を登録しました。標準出力の署名鍵は"
            "二度と表示されません。安全な方法でサービス提供者へ渡してください。",
            style_func=self.style.SUCCESS,
        )

    def _rotate(self, endpoint: Endpoint) -> None:
        now = timezone.now()
        secret = rotate_secret(endpoint, now=now)
        overlap_ends = now + timedelta(seconds=settings.WSO_WEBHOOK_SECRET_OVERLAP_SECONDS)
        self.stdout.write(secret)
        self.stderr.write(
            f"{endpoint.provider} の署名鍵を更新しました。標準出力の署名鍵は二度と表示されません。"
            f"これまでの署名鍵も {_when(overlap_ends)} まで新しい鍵と並んで署名に使われます。",
            style_func=self.style.SUCCESS,
        )

    def _show(self, provider: ServiceProvider) -> None:
        endpoint = Endpoint.objects.filter(provider=provider).first()
        if endpoint is None:
            self.stdout.write(f"{provider.code} の通知先URLは登録されていません。")
            return
        now = timezone.now()
        self.stdout.write(f"通知先URL\t{endpoint.url}")
        self.stdout.write(f"登録日時\t{_when(endpoint.created_at)}")
        # Tab-separated, a header first, as `provider_key list`: the dates, never the secret.
        self.stdout.write("\t".join(["署名鍵ID", "状態", "発行日時", "失効日時"]))
        for secret in endpoint.secrets.order_by("-created_at", "-pk"):
            live = secret.expires_at is None or secret.expires_at > now
            self.stdout.write(
                "\t".join(
                    [
                        str(secret.pk),
                        "署名に使用" if live else "失効",
                        _when(secret.created_at),
                        _when(secret.expires_at),
                    ]
                )
            )
