"""The demo's stand-in for W0099's server: receives 即時通知 on 127.0.0.1, verifies each with the
standardwebhooks library (as a provider would) and prints it."""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.management.base import BaseCommand
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from wso_portal.management.commands.demo import DEMO_RECEIVER_PORT, DEMO_WEBHOOK_SECRET

MAX_BODY = 64 * 1024


class Command(BaseCommand):
    help = "デモ用: W0099 の即時通知を受信し、署名を確かめて表示します。"

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=DEMO_RECEIVER_PORT)
        parser.add_argument("--secret", default=DEMO_WEBHOOK_SECRET, help="署名鍵 (whsec_…)")

    def handle(self, *args, port: int, secret: str, **options):
        webhook = Webhook(secret)
        out = self.stdout
        style = self.style

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                body = self.rfile.read(length)
                try:
                    payload = webhook.verify(body, dict(self.headers.items()))
                except (WebhookVerificationError, ValueError) as exc:
                    out.write(style.ERROR(f"[即時通知] 署名を確認できません: {exc}"))
                    self._answer(400)
                    return
                received = timezone.localtime().strftime("%H:%M:%S")
                out.write(
                    style.SUCCESS(
                        f"[即時通知 {received}] 署名OK {payload['type']} "
                        f"webhook-id={self.headers['webhook-id']}"
                    )
                )
                out.write("  " + json.dumps(payload["data"], ensure_ascii=False))
                self._answer(204)

            def _answer(self, status):
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        out.write(f"即時通知の受信 (W0099): http://127.0.0.1:{port}/webhooks で待機しています。")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
