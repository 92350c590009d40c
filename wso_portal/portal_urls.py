from django.urls import path, re_path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.top, name="top"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("session/keep-alive/", views.keep_alive, name="keep_alive"),
    # Service.code is a SlugField of at most 40 characters.
    re_path(
        r"^services/(?P<code>[-a-zA-Z0-9_]{1,40})/$", views.service_detail, name="service_detail"
    ),
    path("privacy/", views.privacy, name="privacy"),
    re_path(r"^language/(?P<code>ja|en)/$", views.language, name="language"),
]
