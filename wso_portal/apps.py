from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "wso_portal"
    verbose_name = "サービス申込受付ページ"
