"""事業者ポータル's pages. Every query starts from request.provider (provider_required), so an id
of another provider's key, event, attempt or disclosure is a 404 like an id that does not exist.
Every write goes through the services the admin uses, and is audited as the admin audits it."""

import csv
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_POST

from audit.models import AuditEntry
from providers.models import (
    LIVE_KEYS_PER_PROVIDER,
    DeliveryAttempt,
    Disclosure,
    Endpoint,
    ProviderKey,
    WebhookEvent,
)
from providers.services import TooManyKeys, create_key, retention_start, revoke_key
from providers.webhooks import (
    UnsafeURL,
    redeliver,
    register_endpoint,
    resume_endpoint,
    rotate_secret,
    send_test,
)

from . import audit
from . import dashboard as figures
from .accounts import provider_required
from .forms import EndpointForm, EventFilterForm, ResendFailedForm

Action = AuditEntry.Action
SECRET_SHOWN = 10  # 「whsec_」 and 4 characters, as the admin shows them
EVENTS_PER_PAGE = 50


def _shown_once(request, template: str, context: dict):
    """A page with a secret on it: in this response only, never cached or kept."""
    response = render(request, template, context)
    add_never_cache_headers(response)
    return response


@provider_required
def dashboard(request):
    days = figures.per_day(request.provider)
    return render(
        request,
        "console/dashboard.html",
        {
            "days": days,
            "chart": figures.chart(days),
            "totals": {
                "lookups": sum(d.lookups for d in days),
                "told": sum(d.told for d in days),
            },
            "deliveries": figures.deliveries(request.provider),
            "keys": ProviderKey.objects.live()
            .filter(provider=request.provider)
            .order_by("-created_at"),
            "notifying_lines": figures.notifying_lines(request.provider),
        },
    )


@provider_required
def docs(request):
    """APIドキュメント: the API's own docs, and the curl with the provider's own key prefix."""
    return render(
        request,
        "console/docs.html",
        {
            "keys": ProviderKey.objects.live()
            .filter(provider=request.provider)
            .order_by("-created_at"),
            "api_url": request.build_absolute_uri("/api/v1/lookups"),
        },
    )


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


@provider_required
@require_POST
def endpoint_resume(request):
    """【再開】: a disabled endpoint is sent to again, what is pending first."""
    current = _endpoint_of(request)
    if current is None or current.disabled_at is None:
        return redirect("console:endpoint")
    with transaction.atomic():
        pending = resume_endpoint(current)
        audit.record(
            request, Action.RESUME_ENDPOINT, current, provider=request.provider, pending=pending
        )
    messages.success(
        request,
        gettext("通知先URLへの送信を再開しました。送信待ちの通知{count}件から送ります。").format(
            count=pending
        ),
    )
    return redirect("console:endpoint")


# 即時通知の履歴 ----------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _events_of(request):
    return WebhookEvent.objects.filter(provider=request.provider)


@provider_required
def events(request):
    filters = EventFilterForm(request.GET or None)
    rows = _events_of(request)
    if filters.is_valid():
        wanted = filters.cleaned_data
        if wanted["state"]:
            rows = rows.filter(state=wanted["state"])
        if wanted["type"]:
            rows = rows.filter(type=wanted["type"])
        if wanted["since"]:
            rows = rows.filter(created_at__gte=_day_start(wanted["since"]))
        if wanted["until"]:
            rows = rows.filter(created_at__lt=_day_start(wanted["until"] + timedelta(days=1)))
    rows = rows.order_by("-created_at", "-id").only(
        "id", "type", "data", "created_at", "state", "attempts", "webhook_id"
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "console/events.html",
        {
            "filters": filters,
            "resend_form": ResendFailedForm(),
            "query": query.urlencode(),
            **_page_context(rows, EVENTS_PER_PAGE, request.GET.get("page")),
        },
    )


@provider_required
def event(request, pk: int):
    found = get_object_or_404(_events_of(request), pk=pk)
    return render(
        request,
        "console/event.html",
        {"event": found, "attempts": found.deliveries.order_by("at", "id")},
    )


@provider_required
@require_POST
def event_redeliver(request, pk: int):
    found = get_object_or_404(_events_of(request), pk=pk)
    with transaction.atomic():
        state_before = found.state
        redeliver(found)
        audit.record(
            request,
            Action.REDELIVER_EVENT,
            found,
            provider=request.provider,
            state_before=state_before,
        )
    messages.success(request, gettext("再送待ちにしました。まもなく送信します。"))
    return redirect("console:event", pk=found.pk)


@provider_required
@require_POST
def events_resend_failed(request):
    """【失敗した通知をまとめて再送】: every failed event since the date, oldest first. Each keeps
    its webhook-id, and the worker still sends a line's events one after another in order."""
    form = ResendFailedForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("since", []):
            messages.error(request, error)
        return redirect("console:events")
    failed = list(
        _events_of(request)
        .filter(
            state=WebhookEvent.State.FAILED, created_at__gte=_day_start(form.cleaned_data["since"])
        )
        .order_by("id")
    )
    now = timezone.now()
    with transaction.atomic():
        for found in failed:
            redeliver(found, now=now)
            audit.record(
                request,
                Action.REDELIVER_EVENT,
                found,
                provider=request.provider,
                state_before=WebhookEvent.State.FAILED,
                since=form.cleaned_data["since"],
            )
    messages.success(
        request, gettext("送信失敗の通知{count}件を再送待ちにしました。").format(count=len(failed))
    )
    return redirect("console:events")


def _page_context(rows, per_page: int, number) -> dict:
    paginator = Paginator(rows, per_page)
    page = paginator.get_page(number)
    return {
        "page": page,
        "page_range": paginator.get_elided_page_range(page.number),
        "ellipsis": Paginator.ELLIPSIS,
    }


# 照会履歴 ----------------------------------------------------------------------------------------

DISCLOSURES_PER_PAGE = 50
# The log may hold millions of a provider's rows: counted up to this many, then 「以上」.
DISCLOSURES_COUNTED = 10_000
DISCLOSURE_CSV_HEADER = [
    gettext_noop("提供日時"),
    gettext_noop("お客様ID"),
    gettext_noop("照会されたアドレス"),
    gettext_noop("APIキー"),
]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _disclosures_of(request):
    """The provider's own disclosures, newest first, within the log's retention: the bound on
    `at` lets PostgreSQL read only the months it keeps, through (provider, -at)."""
    return Disclosure.objects.filter(provider=request.provider, at__gte=retention_start()).order_by(
        "-at", "-id"
    )


def _cursor(disclosure) -> str:
    return f"{(disclosure.at - _EPOCH) // timedelta(microseconds=1)}.{disclosure.pk}"


def _after_cursor(rows, cursor: str):
    """Keyset paging: the rows older than the cursor's (at, id); a cursor that is not one is
    the first page."""
    try:
        micros, pk = (int(part) for part in cursor.split("."))
        at = _EPOCH + timedelta(microseconds=micros)
    except (ValueError, OverflowError):
        return rows
    return rows.filter(Q(at__lt=at) | Q(at=at, pk__lt=pk))


@provider_required
def disclosures(request):
    rows = _disclosures_of(request)
    cursor = request.GET.get("after", "")
    page = list(
        _after_cursor(rows, cursor).select_related("line", "key")[: DISCLOSURES_PER_PAGE + 1]
    )
    more = len(page) > DISCLOSURES_PER_PAGE
    page = page[:DISCLOSURES_PER_PAGE]
    counted = rows[: DISCLOSURES_COUNTED + 1].count()
    return render(
        request,
        "console/disclosures.html",
        {
            "disclosures": page,
            "next_cursor": _cursor(page[-1]) if more else "",
            "is_first_page": not cursor,
            "count": min(counted, DISCLOSURES_COUNTED),
            "count_is_bound": counted > DISCLOSURES_COUNTED,
            "retention_days": settings.WSO_DISCLOSURE_RETENTION_DAYS,
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@provider_required
def disclosures_csv(request):
    """Streamed, a chunk of rows at a time: a provider's log need not sit in memory."""
    rows = (
        _disclosures_of(request)
        .values_list("at", "line__customer_id", "address", "key__display_prefix")
        .iterator(chunk_size=2000)
    )
    header = [gettext(heading) for heading in DISCLOSURE_CSV_HEADER]

    def lines():
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(header)  # the BOM Excel needs to read UTF-8
        for at, customer_id, address, prefix in rows:
            local = timezone.localtime(at).strftime("%Y/%m/%d %H:%M:%S")
            yield writer.writerow([local, customer_id, address, f"{prefix}…"])

    filename = f"{gettext('照会履歴')}_{request.provider.code}_{timezone.localdate():%Y%m%d}.csv"
    return StreamingHttpResponse(
        lines(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
