from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "wso_portal"
    verbose_name = "サービス申込受付ページ"

    def ready(self):
        from . import sessions  # noqa: F401  (records each login's time)
