from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "サービス提供者API"

    def ready(self):
        from . import checks, webhooks  # noqa: F401  (registers the checks, connects the outbox)

        post_migrate.connect(make_coming_partitions, sender=self)


def make_coming_partitions(sender, using, **kwargs):
    """After every migrate, the disclosure log's partitions for this month and the next."""
    from . import partitions

    partitions.ensure(connection=connections[using])
