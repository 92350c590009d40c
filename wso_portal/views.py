import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views import csrf, defaults
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notification.models import Application, Direction, NotificationSetting

from . import login as login_service
from . import sessions
from .caching import briefly
from .decorators import line_required
from .forms import LoginForm
from .handlers import is_api_path
from .logs import security_event
from .middleware import language_of
from .models import Announcement, Service, ServiceContract, ServiceStatus
from .problems import problem
from .status import notification_status, usage_status

SESSION_ENDED = {
    sessions.IDLE: gettext_noop(
        "一定時間操作がなかったため、ログアウトしました。お手数ですが、再度ログインしてください。"
    ),
    sessions.MAX_AGE: gettext_noop(
        "ログインから一定時間が経過したため、ログアウトしました。"
        "お手数ですが、再度ログインしてください。"
    ),
}


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Screen 0: フレッツナンバー + アクセスキー."""
    if getattr(request.user, "line", None) is not None:
        return redirect("portal:top")
    ended = request.session.pop(sessions.ENDED, None)
    if ended in SESSION_ENDED:
        messages.info(request, _(SESSION_ENDED[ended]))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and login_service.rate_exceeded(request):
        # Before the form is checked: nothing is hashed, recorded or counted.
        form.add_error(None, _(login_service.TOO_MANY_ATTEMPTS))
        context = {"form": form, "next": _next_page(request)}
        return render(request, "portal/login.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        result = login_service.attempt(
            request, form.cleaned_data["flets_number"], form.cleaned_data["access_key"]
        )
        if result.ok:
            # auth.login gives the session a new key (no fixation).
            auth.login(request, result.user, backend="wso_portal.backends.AccessKeyBackend")
            return redirect(_next_page(request))
        form.add_error(None, _(result.message))
    return render(request, "portal/login.html", {"form": form, "next": _next_page(request)})


def _next_page(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """The idle warning's 【ログインを続ける】: restarts the idle clock. Answers the warning's
    script in JSON, and a plain form post (no script) with the page it came from."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    next_page = _next_page(request)
    if getattr(request.user, "line", None) is None:
        if wants_json:
            return JsonResponse({"expires_in": 0}, status=401)
        return redirect(f"{reverse('portal:login')}?{urlencode({'next': next_page})}")
    request.session[sessions.REFRESHED_AT] = int(time.time())  # saved, with a new expiry
    if wants_json:
        return JsonResponse({"expires_in": sessions.seconds_left(request)})
    return redirect(next_page)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    security_event("logout", request)
    auth.logout(request)  # flushes the session
    messages.success(request, _("ログアウトしました。"))
    return redirect("portal:login")


@line_required
def top(request: HttpRequest) -> HttpResponse:
    """Screen 1: サービス申込受付ページ. A fixed number of queries, whatever the line holds."""
    line = request.line
    contract_statuses: dict[int, set[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(CONTRACT_STATUSES_SQL, [line.pk])
        for service_id, status in cursor.fetchall():
            contract_statuses.setdefault(service_id, set()).add(status)

    rows = []
    for service in services():
        if service.kind == Service.Kind.NOTIFICATION:
            status = _notification_status(line)
            url = _url("notification:usage_detail")
        else:
            status = usage_status(
                contract_statuses.get(service.id, ()), default=service.default_status
            )
            url = _url("portal:service_detail", code=service.code)
        rows.append({"service": service, "status": status, "url": url})

    return render(
        request,
        "portal/top.html",
        {"announcements": published_announcements(), "rows": rows},
    )


@briefly
def services() -> list[Service]:
    return list(Service.objects.all())


@briefly
def published_announcements() -> list[Announcement]:
    return list(Announcement.objects.published())


# The top page's reads, written as SQL: the ORM took longer to build them than the database takes
# to answer them (profiled).
CONTRACT_STATUSES_SQL = (
    f"SELECT DISTINCT service_id, status FROM {ServiceContract._meta.db_table} WHERE line_id = %s"
)
OPEN_STATES_SQL = ", ".join(f"'{state.value}'" for state in Application.OPEN_STATES)
OPEN_APPLICATION_SQL = f"""EXISTS (
    SELECT 1 FROM {Application._meta.db_table}
    WHERE line_id = %s AND state IN ({OPEN_STATES_SQL}) AND direction = %s
)"""
NOTIFICATION_DIRECTIONS = [Direction.NOTIFY, Direction.STOP]
NOTIFICATION_SQL = f"""
    SELECT EXISTS (
        SELECT 1 FROM {NotificationSetting._meta.db_table} WHERE line_id = %s AND notify
    ), {", ".join([OPEN_APPLICATION_SQL] * len(NOTIFICATION_DIRECTIONS))}
"""


def _notification_status(line) -> str:
    """回線情報通知's status: whether the line says 通知する to any provider, and which ways
    its open applications (工事中) switch."""
    params = [line.pk]
    for direction in NOTIFICATION_DIRECTIONS:
        params += [line.pk, direction]
    with connection.cursor() as cursor:
        cursor.execute(NOTIFICATION_SQL, params)
        notifying, *open_ways = cursor.fetchone()
    open_directions = [
        way for way, is_open in zip(NOTIFICATION_DIRECTIONS, open_ways, strict=True) if is_open
    ]
    return notification_status(notifying=bool(notifying), open_directions=open_directions)


def _url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs or None)


@line_required
def service_detail(request: HttpRequest, code: str) -> HttpResponse:
    """Read-only: this line's contracts for one service of the top page."""
    service = get_object_or_404(Service, code=code)
    if service.kind == Service.Kind.NOTIFICATION:
        return redirect("notification:usage_detail")
    contracts = list(ServiceContract.objects.filter(line=request.line, service=service))
    status = usage_status((c.status for c in contracts), default=service.default_status)
    return render(
        request,
        "portal/service_detail.html",
        {
            "service": service,
            "service_name": _(service.name),
            "contracts": contracts,
            "status": status,
            # No contract of its own, yet in use: a standard feature of every line (※1).
            "standard": not contracts and status != ServiceStatus.NOT_CONTRACTED,
            "other_menu_url": OTHER_MENU_URL,
        },
    )


# Where the other services are applied for and changed (the manual's 別メニュー): the official
# site the manual names.
OTHER_MENU_URL = "https://flets-w.com/"


# The error pages (handler400 to handler500 in urls.py, CSRF_FAILURE_VIEW), in the visitor's
# language, the admin's in Japanese. Under errors/, not Django's default names (404.html, …):
# /api/ paths are the API's to answer, and Django's own views, which they are handed to, then
# find no portal page there.


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):
        return defaults.page_not_found(request, exception)
    return _error_page(request, "errors/404.html", 404)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):
        return defaults.permission_denied(request, exception)
    return _error_page(request, "errors/403.html", 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return csrf.csrf_failure(request, reason)
    return _error_page(request, "errors/csrf.html", 403, retry_url=_retry_url(request))


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):  # a Host not in ALLOWED_HOSTS, say: the API answers in its own form
        return problem(400, "リクエストを処理できません。Host ヘッダーなどを確かめてください。")
    # Rendered without the request (see handler400 in urls.py).
    return _error_page(request, "errors/400.html", 400, with_request=False)


def server_error(request: HttpRequest) -> HttpResponse:
    # Without the request, so without context processors: nothing that could fail again (the
    # session, the user, the database).
    return _error_page(request, "errors/500.html", 500, with_request=False)


def _is_api(request: HttpRequest) -> bool:
    return is_api_path(request.path)


def _error_page(
    request: HttpRequest, template_name: str, status: int, *, with_request=True, **context
) -> HttpResponse:
    context["admin_page"] = request.path.startswith("/admin/")
    # The language read again from the cookie and Accept-Language: an error raised before
    # LocaleMiddleware (SecurityMiddleware's Host check) would get the thread's last one.
    with translation.override(language_of(request)):
        page = render_to_string(template_name, context, request if with_request else None)
    return HttpResponse(page, status=status)


def _retry_url(request: HttpRequest) -> str:
    """The page whose form was refused, to open it again; the top page where that form was
    only the ログアウト button."""
    if request.path == reverse("portal:logout"):
        return reverse("portal:top")
    if request.path == reverse("admin:logout"):
        return reverse("admin:index")
    target = request.get_full_path()
    # A path of this site, never "//host/…" (another site).
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return reverse("portal:top")
    return target


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/privacy.html")


@require_GET
def language(request: HttpRequest, code: str) -> HttpResponse:
    """The 日本語 / English link of every page: keep the choice in the language cookie (which
    LocaleMiddleware reads from then on) and go back to the page the link was on. Only a
    preference changes, so a plain link will do; `next` must be a page of this site."""
    if code not in dict(settings.LANGUAGES):
        raise Http404
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("portal:top")
    response = redirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    add_never_cache_headers(response)
    return response
