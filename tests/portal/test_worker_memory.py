"""The WSGI module takes start-up's objects out of the cyclic collector's generations, so that a
worker's full collections, which free each request's reference cycles, come every 900 requests or so
rather than not once in 4,400 (make bench measures the workers' memory); and it serves django-ninja
without loading django.test."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A full collection waits until the objects promoted since the last one reach a quarter of those
# that survived it: what the oldest generation holds once the module has loaded.
PROBE = """
import gc, json
import wso_portal.wsgi
print(json.dumps({"frozen": gc.get_freeze_count(), "oldest": len(gc.get_objects(2))}))
"""


def load_wsgi_module() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "wso_portal.settings.test"}
    output = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.splitlines()[-1])


def test_start_up_objects_leave_the_collectors_count():
    counts = load_wsgi_module()
    assert counts["frozen"] > 50_000  # Django, the apps and their libraries
    assert counts["oldest"] < counts["frozen"] / 100


# The API's routes loaded, as a worker's first request loads them; then what a later import of
# django.test would find.
WITHOUT_DJANGO_TEST = """
import json, sys
import wso_portal.wsgi
from django.urls import resolve
resolve("/api/v1/lookups")
loaded = "django.test" in sys.modules
from django.core.signals import setting_changed
from django.test.signals import setting_changed as ninjas, template_rendered
from django.test import Client
print(json.dumps({"loaded": loaded, "same": ninjas is setting_changed}))
"""


def test_a_worker_serves_the_api_without_loading_django_test():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "wso_portal.settings.test"}
    output = subprocess.run(
        [sys.executable, "-c", WITHOUT_DJANGO_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(output.splitlines()[-1]) == {"loaded": False, "same": True}
