from django.urls import path

from . import views

app_name = "providers"

# 提供履歴 (the subscriber's view of the disclosure log).
urlpatterns = [
    path("", views.history, name="history"),
    path("csv/", views.history_csv, name="history_csv"),
    path("providers/<str:code>/", views.provider_history, name="provider_history"),
    path("providers/<str:code>/csv/", views.provider_history_csv, name="provider_history_csv"),
]
