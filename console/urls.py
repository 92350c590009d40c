from django.urls import path

from . import accounts, views

app_name = "console"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", accounts.login, name="login"),
    path("login/totp/", accounts.enrol, name="enrol"),
    path("logout/", accounts.logout, name="logout"),
    path("password/<str:uidb64>/<str:token>/", accounts.set_password, name="set_password"),
    path("keys/", views.keys, name="keys"),
    path("keys/issue/", views.key_issue, name="key_issue"),
    path("keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
    path("endpoint/", views.endpoint, name="endpoint"),
    path("endpoint/rotate/", views.endpoint_rotate, name="endpoint_rotate"),
    path("endpoint/test/", views.endpoint_test, name="endpoint_test"),
    path("endpoint/resume/", views.endpoint_resume, name="endpoint_resume"),
    path("events/", views.events, name="events"),
    path("events/resend-failed/", views.events_resend_failed, name="events_resend_failed"),
    path("events/<int:pk>/", views.event, name="event"),
    path("events/<int:pk>/redeliver/", views.event_redeliver, name="event_redeliver"),
    path("disclosures/", views.disclosures, name="disclosures"),
    path("disclosures/csv/", views.disclosures_csv, name="disclosures_csv"),
    path("docs/", views.docs, name="docs"),
]
