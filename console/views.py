"""事業者ポータル's pages. Every query starts from request.provider (provider_required), so an id
of another provider's key, event, attempt or disclosure is a 404 like an id that does not exist.
Every write goes through the services the admin uses, and is audited as the admin audits it."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from audit.models import AuditEntry
from providers.models import (
    LIVE_KEYS_PER_PROVIDER,
    DeliveryAttempt,
    Endpoint,
    ProviderKey,
    WebhookEvent,
)
from providers.services import TooManyKeys, create_key, revoke_key
from providers.webhooks import UnsafeURL, register_endpoint, rotate_secret, send_test

from . import audit
from .accounts import provider_required
from .forms import EndpointForm

Action = AuditEntry.Action
SECRET_SHOWN = 10  # 「whsec_」 and 4 characters, as the admin shows them


def _shown_once(request, template: str, context: dict):
    """A page with a secret on it: in this response only, never cached or kept."""
    response = render(request, template, context)
    add_never_cache_headers(response)
    return response


@provider_required
def dashboard(request):
    return render(request, "console/dashboard.html", {})


# APIキー ---------------------------------------------------------------------------------------


@provider_required
def keys(request):
    provider_keys = list(
        ProviderKey.objects.filter(provider=request.provider).order_by("-created_at")
    )
    live = sum(1 for key in provider_keys if key.is_live)
    return render(
        request,
        "console/keys.html",
        {
            "keys": provider_keys,
            "can_issue": live < LIVE_KEYS_PER_PROVIDER,
            "live_limit": LIVE_KEYS_PER_PROVIDER,
            "cache_seconds": settings.WSO_API_KEY_CACHE_SECONDS,
        },
    )


@provider_required
@require_POST
def key_issue(request):
    try:
        with transaction.atomic():
            key, plain = create_key(request.provider)
            audit.record(request, Action.ISSUE_API_KEY, key, provider=request.provider)
    except TooManyKeys:
        messages.error(
            request,
            gettext(
                "有効なAPIキーは{limit}つまでです。新しいキーを発行する前に、古いキーを失効させてください。"
            ).format(limit=LIVE_KEYS_PER_PROVIDER),
        )
        return redirect("console:keys")
    return _shown_once(request, "console/key_issued.html", {"key": key, "plain_key": plain})


@provider_required
def key_revoke(request, pk: int):
    key = get_object_or_404(ProviderKey, pk=pk, provider=request.provider)
    if not key.is_live:
        messages.warning(request, gettext("このAPIキーは既に失効しています。"))
        return redirect("console:keys")
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        return render(
            request,
            "console/key_revoke.html",
            {"key": key, "cache_seconds": settings.WSO_API_KEY_CACHE_SECONDS},
        )
    if revoke_key(key):
        audit.record(request, Action.REVOKE_API_KEY, key, provider=request.provider)
        messages.success(
            request,
            gettext("APIキー {prefix}… を失効させました。").format(prefix=key.display_prefix),
        )
    return redirect("console:keys")


# 通知先URL -------------------------------------------------------------------------------------


def _endpoint_of(request) -> Endpoint | None:
    return Endpoint.objects.filter(provider=request.provider).first()


@provider_required
def endpoint(request):
    current = _endpoint_of(request)
    form = EndpointForm(
        request.POST if request.method == "POST" else None,
        initial={"url": current.url if current else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved, secret = register_endpoint(request.provider, form.cleaned_data["url"])
        except UnsafeURL as exc:  # re-pointed between the form's check and the service's
            form.add_error("url", str(exc))
        else:
            if current is None:
                audit.record(
                    request,
                    Action.REGISTER_ENDPOINT,
                    saved,
                    provider=request.provider,
                    url=saved.url,
                )
            else:
                audit.record(
                    request,
                    Action.CHANGE_ENDPOINT,
                    saved,
                    provider=request.provider,
                    url_before=current.url,
                    url=saved.url,
                )
            if secret is not None:
                return _shown_once(
                    request,
                    "console/secret_issued.html",
                    {"endpoint": saved, "secret": secret, "overlap_ends": None},
                )
            messages.success(request, gettext("通知先URLを変更しました。"))
            return redirect("console:endpoint")
    now = timezone.now()
    secrets = []
    if current is not None:
        signing = current.secrets.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        secrets = [(secret.secret[:SECRET_SHOWN] + "…", secret) for secret in signing]
    # The last テスト送信's result stays on the page, after the redirect and later.
    last_test = (
        DeliveryAttempt.objects.filter(
            event__provider=request.provider, event__type=WebhookEvent.Type.TEST
        )
        .order_by("-at", "-id")
        .first()
    )
    return render(
        request,
        "console/endpoint.html",
        {"form": form, "endpoint": current, "secrets": secrets, "last_test": last_test},
    )


@provider_required
def endpoint_rotate(request):
    current = _endpoint_of(request)
    if current is None:
        return redirect("console:endpoint")
    overlap = timedelta(seconds=settings.WSO_WEBHOOK_SECRET_OVERLAP_SECONDS)
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        return render(
            request,
            "console/rotate_confirm.html",
            {"endpoint": current, "overlap_hours": overlap.total_seconds() / 3600},
        )
    now = timezone.now()
    with transaction.atomic():
        secret = rotate_secret(current, now=now)
        audit.record(request, Action.ROTATE_SECRET, current, provider=request.provider)
    return _shown_once(
        request,
        "console/secret_issued.html",
        {"endpoint": current, "secret": secret, "overlap_ends": now + overlap},
    )


@provider_required
@require_POST
def endpoint_test(request):
    current = _endpoint_of(request)
    if current is None:
        return redirect("console:endpoint")
    attempt = send_test(current)
    audit.record(
        request,
        Action.SEND_TEST,
        current,
        provider=request.provider,
        succeeded=attempt.succeeded,
        status_code=attempt.status_code,
        error=attempt.error,
    )
    if attempt.succeeded:
        messages.success(
            request,
            gettext("テスト送信しました (ステータス {status}、{ms}ミリ秒)。").format(
                status=attempt.status_code, ms=attempt.latency_ms
            ),
        )
    else:
        messages.error(
            request,
            gettext("テスト送信は失敗しました ({error}、{ms}ミリ秒)。").format(
                error=attempt.error, ms=attempt.latency_ms
            ),
        )
    return redirect("console:endpoint")
