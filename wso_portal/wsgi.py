import gc
import importlib
import os
import sys
import types

from django.core.signals import setting_changed
from django.core.wsgi import get_wsgi_application

from wso_portal.handlers import APIHandler, by_path


def leave_out_django_test() -> None:
    """Give django-ninja its one name from django.test.signals without loading django.test.

    ninja.conf imports setting_changed from there, which loads all of django.test (the test
    client, unittest, xml.dom, urllib.request): 1.8 MiB in every worker, for a signal that is
    Django's django.core.signals.setting_changed itself (django-ninja pull request 1772 makes
    the same change upstream). Any other name asked of the module loads the real one, so that a
    later import of django.test still finds everything."""
    name = "django.test.signals"
    if name in sys.modules:
        return
    stand_in = types.ModuleType(name)
    stand_in.setting_changed = setting_changed

    def real(attribute):
        if attribute.startswith("__"):  # what the import system asks of any module
            raise AttributeError(attribute)
        del sys.modules[name]
        return getattr(importlib.import_module(name), attribute)

    stand_in.__getattr__ = real
    sys.modules[name] = stand_in


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wso_portal.settings.prod")

leave_out_django_test()
application = by_path(get_wsgi_application(), APIHandler())


def settle_memory() -> None:
    """Take what start-up loaded out of the cyclic collector's generations.

    Every request leaves objects in reference cycles (Django's request and its lazy user, a
    template Context and its dicts); only a full collection frees them, and Python runs one only
    when the objects promoted since the last one reach a quarter of those that survived it. With
    start-up's 100,000 objects among those, none came in 4,400 requests (in-process, every page
    in turn), and a worker carried several MiB of such garbage. Frozen, they are neither counted
    nor traversed again; the second collection takes the quarter of what is left: one every 900
    requests or so (make bench: 81.9 -> 78.7 MiB)."""
    gc.collect()
    gc.freeze()
    gc.collect()


settle_memory()
