"""工事完了通知メール: composed from templates, sent through Django's mail framework."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Application

JST = "Asia/Tokyo"


class MailNotSent(Exception):
    """The backend accepted no message (and raised nothing)."""


def completion_mail(application: Application) -> EmailMessage:
    """The mail for a completed application, in the language the application was made in;
    times are written in JST whatever TIME_ZONE is."""
    items = application.items.select_related("provider").order_by("provider__code")
    with timezone.override(JST), translation.override(application.language or "ja"):
        context = {
            "application": application,
            "line": application.line,
            "items": items,
            "setting": application.get_direction_display(),
        }
        subject = render_to_string("notification/mail/completion_subject.txt", context)
        body = render_to_string("notification/mail/completion_body.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[application.applicant_email],
    )


def send_completion_mail(application: Application) -> None:
    """Send it now; any backend error propagates to the caller, which records it."""
    if not completion_mail(application).send(fail_silently=False):
        raise MailNotSent("メールサーバーが送信を受け付けませんでした。")
