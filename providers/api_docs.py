"""What the API's OpenAPI document says beyond the operation itself (providers/api.py): the
introduction (a key, the rate, Retry-After), the tags, and the 即時通知 the portal sends to a
provider (OpenAPI 3.1 webhooks), each in Japanese and English."""

from pathlib import Path
from string import Template

from django.conf import settings

TAG_LOOKUPS = "照会 / Lookups"
TAG_WEBHOOKS = "即時通知 / Webhooks"
TAGS = [
    {
        "name": TAG_LOOKUPS,
        "description": "IPv6アドレスから、そのアドレスの回線のお客様IDを照会します。"
        " / Who is at an IPv6 address: the line's Customer ID, where the line allows it.",
    },
    {
        "name": TAG_WEBHOOKS,
        "description": "回線の設定が変わったとき、登録された通知先URLへ送られる通知です。"
        " / Sent to the provider's registered URL when a line's setting for it changes.",
    },
]


# The prose, in Markdown files beside this module; the introduction names the rate as set.
DOCS = Path(__file__).parent / "docs"
INTRO = Template((DOCS / "api_intro.md").read_text(encoding="utf-8").strip())
VERIFY = (DOCS / "webhooks_verify.md").read_text(encoding="utf-8").strip()


def api_description() -> str:
    return INTRO.substitute(rate=settings.WSO_API_RATE_LIMIT)


WEBHOOK_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "通知のID。再送でも同じ / The event's id, the same on every retry",
        "schema": {"type": "string", "pattern": "^msg_[0-9a-f]{32}$"},
        "example": "msg_2f1c0a9e7b4d4c3a8e6f5d4c3b2a1908",
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "送信時刻 (Unix 秒) / When it was sent, in Unix seconds",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "example": "1795680000",
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": "空白区切りの v1,<base64> 署名 / Space-separated v1,<base64> signatures",
        "schema": {"type": "string"},
        "example": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
    },
]

WEBHOOK_SCHEMAS = {
    "NotificationChanged": {
        "type": "object",
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": {"type": "string", "enum": ["notification.enabled", "notification.disabled"]},
            "timestamp": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601、オフセット付き / ISO 8601 with its offset",
            },
            "data": {
                "type": "object",
                "required": ["customer_id", "provider_code", "effective_at"],
                "properties": {
                    "customer_id": {"type": "string", "pattern": "^CAF[0-9]{10}$"},
                    "provider_code": {"type": "string"},
                    "effective_at": {"type": "string", "format": "date-time"},
                },
            },
        },
    },
    "TestEvent": {
        "type": "object",
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": {"type": "string", "const": "notification.test"},
            "timestamp": {"type": "string", "format": "date-time"},
            "data": {
                "type": "object",
                "required": ["provider_code", "message"],
                "properties": {"provider_code": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def _webhook(summary: str, description: str, schema: str, example: dict) -> dict:
    return {
        "post": {
            "tags": [TAG_WEBHOOKS],
            "summary": summary,
            "description": f"{description}\n\n{VERIFY}",
            "parameters": WEBHOOK_HEADERS,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{schema}"},
                        "example": example,
                    }
                },
            },
            "responses": {
                "2XX": {"description": "受け取った / Received: delivered"},
                "default": {"description": "再送される / Retried later"},
            },
        }
    }


def openapi_webhooks() -> dict:
    at = "2026-11-26T02:05:17+00:00"
    data = {"customer_id": "CAF0123456789", "provider_code": "W0099", "effective_at": at}
    return {
        "notification.enabled": _webhook(
            "回線が「通知する」に設定した / A line now notifies you",
            "回線の工事が完了し、この回線がサービス提供者に「通知する」になったときに送られます。"
            "以後の照会で、この回線のお客様IDが返ります。 / Sent when a line's work is done and"
            " it notifies the provider: look-ups return its Customer ID from then on.",
            "NotificationChanged",
            {"type": "notification.enabled", "timestamp": at, "data": data},
        ),
        "notification.disabled": _webhook(
            "回線が「通知しない」に設定した / A line no longer notifies you",
            "それまで通知していた回線が「通知しない」になったときに送られます。保存したお客様IDの"
            "扱いを見直してください。 / Sent when a line that notified the provider stops:"
            " look-ups no longer return its Customer ID.",
            "NotificationChanged",
            {"type": "notification.disabled", "timestamp": at, "data": data},
        ),
        "notification.test": _webhook(
            "テスト送信 / A test",
            "運用担当者または事業者ポータルの【テスト送信】で送られます。 / Sent by テスト送信"
            " in the admin or the provider console, to check the URL and the signature.",
            "TestEvent",
            {
                "type": "notification.test",
                "timestamp": at,
                "data": {"provider_code": "W0099", "message": "テスト送信"},
            },
        ),
    }
