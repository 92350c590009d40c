from django.urls import path

from . import views

app_name = "notification"

urlpatterns = [
    path("", views.usage_detail, name="usage_detail"),
    path("flow/<str:flow_id>/register/", views.register, name="register"),
    path("flow/<str:flow_id>/consent/", views.consent, name="consent"),
    path("flow/<str:flow_id>/applicant/", views.applicant, name="applicant"),
    path("flow/<str:flow_id>/confirm/", views.confirm, name="confirm"),
    path("applications/<str:receipt_number>/", views.receipt, name="receipt"),
    path("history/", views.history, name="history"),
]
