from django.urls import path, re_path

from . import views

app_name = "notification"

# A flow id is secrets.token_urlsafe's alphabet (flow.start): any such id reaches the step, which
# explains an unknown or expired flow; anything else is a 404. A 受付番号 is exactly what
# services.new_receipt_number writes, so nothing else ever reaches a query.
FLOW = r"^flow/(?P<flow_id>[A-Za-z0-9_-]{1,64})"

urlpatterns = [
    path("", views.usage_detail, name="usage_detail"),
    re_path(rf"{FLOW}/register/$", views.register, name="register"),
    re_path(rf"{FLOW}/consent/$", views.consent, name="consent"),
    re_path(rf"{FLOW}/applicant/$", views.applicant, name="applicant"),
    re_path(rf"{FLOW}/confirm/$", views.confirm, name="confirm"),
    re_path(
        r"^applications/(?P<receipt_number>[0-9]{8}-[0-9]{6})/$", views.receipt, name="receipt"
    ),
    re_path(
        r"^applications/(?P<receipt_number>[0-9]{8}-[0-9]{6})/cancel/$",
        views.cancel,
        name="cancel",
    ),
    re_path(
        r"^applications/(?P<receipt_number>[0-9]{8}-[0-9]{6})/consent-record/$",
        views.consent_record,
        name="consent_record",
    ),
    path("history/", views.history, name="history"),
]
