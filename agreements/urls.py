from django.urls import re_path

from . import views

app_name = "agreements"

# A version is a positive integer (AgreementVersion.version); nothing else reaches a query.
VERSION = r"^(?P<version>[1-9][0-9]{0,8})"

urlpatterns = [
    re_path(rf"{VERSION}/$", views.version_page, name="version"),
    re_path(rf"{VERSION}/text/$", views.version_text, name="version_text"),
]
