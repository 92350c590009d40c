from django.urls import path, re_path

from . import views

app_name = "providers"

# 提供履歴 (the subscriber's view of the disclosure log).
urlpatterns = [
    path("", views.history, name="history"),
    path("csv/", views.history_csv, name="history_csv"),
    re_path(
        r"^providers/(?P<code>[A-Z][0-9]{4})/$", views.provider_history, name="provider_history"
    ),
    re_path(
        r"^providers/(?P<code>[A-Z][0-9]{4})/csv/$",
        views.provider_history_csv,
        name="provider_history_csv",
    ),
]
