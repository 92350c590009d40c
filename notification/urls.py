from django.urls import path

from . import views

app_name = "notification"

urlpatterns = [
    path("", views.usage_detail, name="usage_detail"),
    path("history/", views.history, name="history"),
]
