"""Seed the mobile carriers' mail domains refused as ご連絡先メールアドレス (operators extend the list)."""

from django.db import migrations

CARRIER_DOMAINS = [
    ("docomo.ne.jp", "NTTドコモ"),
    ("mopera.net", "NTTドコモ"),
    ("ezweb.ne.jp", "au"),
    ("au.com", "au"),
    ("biz.ezweb.ne.jp", "au"),
    ("softbank.ne.jp", "ソフトバンク"),
    ("i.softbank.jp", "ソフトバンク"),
    ("disney.ne.jp", "ソフトバンク(ディズニー・モバイル)"),
    ("emobile.ne.jp", "ワイモバイル(旧イー・モバイル)"),
    ("ymobile.ne.jp", "ワイモバイル"),
    ("y-mobile.ne.jp", "ワイモバイル"),
    ("pdx.ne.jp", "ワイモバイル(旧ウィルコム)"),
    ("willcom.com", "ワイモバイル(旧ウィルコム)"),
    ("wcm.ne.jp", "ワイモバイル(旧ウィルコム)"),
    ("rakuten.jp", "楽天モバイル"),
    ("uqmobile.jp", "UQモバイル"),
]


def seed(apps, schema_editor):
    BlockedMailDomain = apps.get_model("notification", "BlockedMailDomain")
    for domain, note in CARRIER_DOMAINS:
        BlockedMailDomain.objects.get_or_create(domain=domain, defaults={"note": note})


def unseed(apps, schema_editor):
    BlockedMailDomain = apps.get_model("notification", "BlockedMailDomain")
    BlockedMailDomain.objects.filter(domain__in=[d for d, _ in CARRIER_DOMAINS]).delete()


class Migration(migrations.Migration):
    dependencies = [("notification", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
