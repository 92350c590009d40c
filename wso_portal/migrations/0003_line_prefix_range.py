"""Lines' prefixes as address ranges, for providers' look-ups: /48, /56 or /64 only, never
overlapping. PostgreSQL refuses an overlap with an exclusion constraint on the prefix as inet
(GiST); SQLite with triggers comparing the ranges."""

import ipaddress

from django.db import migrations, models

# Idempotent: the browser tests run the migrations' RunPython steps again on a flushed database.
POSTGRESQL_NO_OVERLAP = """
ALTER TABLE wso_portal_subscriberline DROP CONSTRAINT IF EXISTS line_prefix_no_overlap;
ALTER TABLE wso_portal_subscriberline ADD CONSTRAINT line_prefix_no_overlap
EXCLUDE USING gist ((ipv6_prefix::inet) inet_ops WITH &&)
"""
SQLITE_NO_OVERLAP = """
CREATE TRIGGER IF NOT EXISTS line_prefix_no_overlap_{event} BEFORE {event}{columns} ON wso_portal_subscriberline
WHEN EXISTS (
    SELECT 1 FROM wso_portal_subscriberline AS other
    WHERE other.id != NEW.id
      AND other.prefix_start <= NEW.prefix_end AND other.prefix_end >= NEW.prefix_start
)
BEGIN SELECT RAISE(ABORT, 'line_prefix_no_overlap'); END
"""


def fill_ranges(apps, schema_editor):
    SubscriberLine = apps.get_model("wso_portal", "SubscriberLine")
    lines = []
    for line in SubscriberLine.objects.only("ipv6_prefix").iterator(chunk_size=10_000):
        network = ipaddress.IPv6Network(line.ipv6_prefix)
        line.prefix_start = f"{int(network.network_address):032x}"
        line.prefix_end = f"{int(network.broadcast_address):032x}"
        lines.append(line)
        if len(lines) == 10_000:
            SubscriberLine.objects.bulk_update(lines, ["prefix_start", "prefix_end"])
            lines = []
    SubscriberLine.objects.bulk_update(lines, ["prefix_start", "prefix_end"])


def add_no_overlap(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_NO_OVERLAP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_NO_OVERLAP.format(event="INSERT", columns=""))
        schema_editor.execute(
            SQLITE_NO_OVERLAP.format(event="UPDATE", columns=" OF prefix_start, prefix_end")
        )


def drop_no_overlap(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE wso_portal_subscriberline DROP CONSTRAINT line_prefix_no_overlap"
        )
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER line_prefix_no_overlap_INSERT")
        schema_editor.execute("DROP TRIGGER line_prefix_no_overlap_UPDATE")


class Migration(migrations.Migration):
    dependencies = [
        ("wso_portal", "0002_services"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscriberline",
            name="prefix_start",
            field=models.CharField(
                default="", editable=False, max_length=32, verbose_name="先頭アドレス"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="subscriberline",
            name="prefix_end",
            field=models.CharField(
                default="", editable=False, max_length=32, verbose_name="末尾アドレス"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_ranges, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="subscriberline",
            name="prefix_start",
            field=models.CharField(
                editable=False, max_length=32, unique=True, verbose_name="先頭アドレス"
            ),
        ),
        migrations.RemoveConstraint(
            model_name="subscriberline",
            name="line_ipv6_prefix_format",
        ),
        migrations.AddConstraint(
            model_name="subscriberline",
            constraint=models.CheckConstraint(
                condition=models.Q(("ipv6_prefix__regex", "^[0-9a-f:]+/(48|56|64)$")),
                name="line_ipv6_prefix_format",
            ),
        ),
        migrations.AddConstraint(
            model_name="subscriberline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("prefix_start__regex", "^[0-9a-f]{32}$"),
                    ("prefix_end__regex", "^[0-9a-f]{32}$"),
                    ("prefix_start__lt", models.F("prefix_end")),
                ),
                name="line_prefix_range_valid",
            ),
        ),
        migrations.RunPython(add_no_overlap, drop_no_overlap),
    ]
