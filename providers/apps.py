from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "サービス提供者API"

    def ready(self):
        from . import webhooks  # noqa: F401  (connects the 工事's outbox receiver)
