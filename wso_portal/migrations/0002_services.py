from django.db import migrations

SERVICES = [
    # code, name, kind, button, default status
    ("flets-number", "フレッツナンバー（通話機能※1）", "contract", "詳細・変更", "通知"),
    ("line-notification", "回線情報通知機能（※1）", "notification", "詳細・変更", "---"),
    ("security", "セキュリティ機能（※1）/ライセンスプラス", "contract", "詳細・申込・変更", "利用中"),
    ("remote-support", "リモートサポートサービス", "contract", "詳細・申込・変更", "未契約"),
    ("session-plus", "フレッツ・セッションプラス", "contract", "詳細・申込・変更", "未契約"),
    ("vpn-wide", "フレッツ・VPN ワイド", "contract", "詳細・申込・変更", "未契約"),
]


def add_services(apps, schema_editor):
    Service = apps.get_model("wso_portal", "Service")
    for position, (code, name, kind, button, default) in enumerate(SERVICES, start=1):
        Service.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "button_label": button,
                "default_status": default,
                "position": position,
            },
        )


def remove_services(apps, schema_editor):
    apps.get_model("wso_portal", "Service").objects.filter(
        code__in=[code for code, *_ in SERVICES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("wso_portal", "0001_initial")]
    operations = [migrations.RunPython(add_services, remove_services)]
