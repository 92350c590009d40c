from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "事業者ポータル"

    def ready(self):
        from . import receivers  # noqa: F401
