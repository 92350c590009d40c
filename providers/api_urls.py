"""/api/: the providers' API (providers/api.py), and a problem+json 404 for every other path
under it, never the portal's HTML page."""

from django.urls import path, re_path

from .api import api, not_found

urlpatterns = [
    # ninja's own view at the API's root raises Http404: the portal's page.
    path("v1/", not_found),
    path("v1/", api.urls),
    re_path(r"", not_found),
]
