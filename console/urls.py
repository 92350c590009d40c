from django.urls import path

from . import accounts, views

app_name = "console"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", accounts.login, name="login"),
    path("login/totp/", accounts.enrol, name="enrol"),
    path("logout/", accounts.logout, name="logout"),
    path("password/<str:uidb64>/<str:token>/", accounts.set_password, name="set_password"),
]
