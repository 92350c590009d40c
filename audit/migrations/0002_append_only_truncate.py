"""The audit log refuses TRUNCATE too, and only its owner may change or delete its rows
(audit.append_only); the flush command still empties it."""

from django.db import migrations


def install_append_only(apps, schema_editor):
    from audit import append_only

    append_only.install(schema_editor.connection)


def remove_truncate_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry")


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install_append_only, remove_truncate_trigger),
    ]
