import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wso_portal.settings.prod")

application = get_wsgi_application()


def settle_memory() -> None:
    """Take what start-up loaded out of the cyclic collector's generations.

    Every request leaves objects in reference cycles (Django's request and its lazy user, a
    template Context and its dicts); only a full collection frees them, and Python runs one only
    when the objects promoted since the last one reach a quarter of those that survived it. With
    the hundreds of thousands of start-up objects in that count, a worker carried several MiB of
    such garbage between full collections. Frozen, they are neither counted nor traversed again;
    the second collection makes the quarter a quarter of what is left."""
    gc.collect()
    gc.freeze()
    gc.collect()


settle_memory()
