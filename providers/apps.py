from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "サービス提供者API"

    def ready(self):
        from . import checks, webhooks  # noqa: F401  (registers the checks, connects the outbox)
