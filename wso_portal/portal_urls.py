from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.top, name="top"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("services/<slug:code>/", views.service_detail, name="service_detail"),
    path("privacy/", views.privacy, name="privacy"),
]
