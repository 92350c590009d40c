from django.urls import path

from . import views

urlpatterns = [
    path("db/", views.db),
    path("session/", views.session),
    path("write/", views.write),
]
