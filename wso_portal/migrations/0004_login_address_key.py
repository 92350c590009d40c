"""Login attempts counted per lock unit: an IPv6 client's /64, an IPv4 address as it is."""

from django.db import migrations, models

from wso_portal.models import address_lock_key


def fill_address_keys(apps, schema_editor):
    LoginAttempt = apps.get_model("wso_portal", "LoginAttempt")
    Lockout = apps.get_model("wso_portal", "Lockout")
    for address in LoginAttempt.objects.values_list("client_address", flat=True).distinct():
        LoginAttempt.objects.filter(client_address=address).update(
            address_key=address_lock_key(address)
        )
    for lock in Lockout.objects.filter(kind="address"):
        lock.key = address_lock_key(lock.key)
        lock.save(update_fields=["key"])


class Migration(migrations.Migration):
    dependencies = [
        ("wso_portal", "0003_line_prefix_range"),
    ]

    operations = [
        migrations.AddField(
            model_name="loginattempt",
            name="address_key",
            field=models.CharField(
                db_index=True, default="", max_length=43, verbose_name="接続元 (ロック単位)"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_address_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="loginattempt",
            name="client_address",
            field=models.GenericIPAddressField(verbose_name="接続元"),
        ),
    ]
