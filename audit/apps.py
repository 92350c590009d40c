from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "監査ログ"

    def ready(self):
        from . import receivers

        receivers.record_admin_changes()  # every add, change and delete through the admin
