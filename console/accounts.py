"""Logging in to the console: e-mail address + password, and a TOTP code where
WSO_CONSOLE_REQUIRE_MFA is on (enrolled on the first login), through the portal's own lockout
and login rate (wso_portal.login). Every step is audited."""

import time
from functools import wraps

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEntry
from wso_portal import login as logins
from wso_portal.models import LoginAttempt

from . import audit
from .forms import LoginForm, TokenForm
from .services import normalise_email, provider_user_of

Action = AuditEntry.Action
WRONG = gettext_noop("メールアドレスまたはパスワードが正しくありません。")
WRONG_WITH_CODE = gettext_noop("メールアドレス、パスワードまたは確認コードが正しくありません。")
# [user id, when the password was checked]: the enrolment step that follows it.
ENROL_SESSION_KEY = "console_enrol"
ENROL_SECONDS = 10 * 60
TOTP_DEVICE_NAME = "事業者ポータル"


def provider_required(view):
    """A logged-in provider user (verified by TOTP where required); sets request.provider_user
    and request.provider. Every console query starts from request.provider."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('console:login')}?next={request.path}")
        provider_user = provider_user_of(user)
        if provider_user is None:
            return render(request, "console/forbidden.html", status=403)
        if settings.WSO_CONSOLE_REQUIRE_MFA and not user.is_verified():
            auth.logout(request)
            return redirect("console:login")
        request.provider_user = provider_user
        request.provider = provider_user.provider
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
def login(request):
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if logins.rate_exceeded(request):
            form.is_valid()
            form.add_error(None, gettext(logins.TOO_MANY_ATTEMPTS))
            status = 429
        elif form.is_valid():
            response = _log_in(request, form)
            if response is not None:
                return response
    return render(
        request, "console/login.html", {"form": form, "next": _next(request)}, status=status
    )


def _log_in(request, form):
    email = normalise_email(form.cleaned_data["email"])
    password = form.cleaned_data["password"]
    token = form.cleaned_data.get("otp_token", "")
    require_code = settings.WSO_CONSOLE_REQUIRE_MFA
    wrong = WRONG_WITH_CODE if require_code else WRONG

    def check() -> logins.Checked:
        user = auth.authenticate(request, email=email, password=password)
        if user is None:
            return logins.Checked(logins.Outcome.WRONG, message=gettext(wrong))
        user.needs_enrolment = False
        if require_code:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
            if device is None:
                user.needs_enrolment = True  # the password was right: on to the enrolment
            else:
                verified = verify_token(user, device.persistent_id, token) if token else None
                if verified is None:
                    return logins.Checked(logins.Outcome.WRONG_CODE, message=gettext(wrong))
                user.otp_device = verified  # django_otp marks the session verified
        return logins.Checked(logins.Outcome.SUCCESS, user=user)

    result = logins.attempt_account(request, LoginAttempt.Kind.PROVIDER, email, check)
    if not result.ok:
        audit.record(request, Action.LOGIN_FAILED, provider=None, operator=email)
        form.add_error(None, result.message)
        return None
    user = result.user
    if user.needs_enrolment:
        request.session[ENROL_SESSION_KEY] = [user.pk, int(time.time())]
        return redirect(_with_next(reverse("console:enrol"), _next(request)))
    auth.login(request, user)
    audit.record(request, Action.LOGIN, provider=user.provider_user.provider, operator=user)
    return redirect(_next(request) or "console:dashboard")


@never_cache
def enrol(request):
    """The first login's second step: scan the QR code, type the code it shows."""
    user = _enrolling_user(request)
    if user is None:
        messages.error(request, gettext("もう一度ログインしてください。"))
        return redirect("console:login")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    form = TokenForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if logins.rate_exceeded(request):
            form.is_valid()
            form.add_error(None, gettext(logins.TOO_MANY_ATTEMPTS))
            status = 429
        elif form.is_valid():
            if device.verify_token(form.cleaned_data["otp_token"]):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                del request.session[ENROL_SESSION_KEY]
                user.otp_device = device
                auth.login(request, user, backend="console.backends.ProviderUserBackend")
                provider = user.provider_user.provider
                audit.record(request, Action.ENROL_TOTP, device, provider=provider, operator=user)
                audit.record(request, Action.LOGIN, provider=provider, operator=user)
                return redirect(_next(request) or "console:dashboard")
            form.add_error("otp_token", gettext("確認コードが正しくありません。"))
    response = render(
        request,
        "console/enrol.html",
        {"form": form, "qr": _qr_data_uri(device.config_url), "secret": _base32(device)},
        status=status,
    )
    add_never_cache_headers(response)  # the page shows the TOTP secret
    return response


def _enrolling_user(request):
    state = request.session.get(ENROL_SESSION_KEY)
    if not state or time.time() - state[1] > ENROL_SECONDS:
        request.session.pop(ENROL_SESSION_KEY, None)
        return None
    user = get_user_model().objects.filter(pk=state[0], is_active=True, is_staff=False).first()
    return user if provider_user_of_any(user) else None


def provider_user_of_any(user) -> bool:
    return user is not None and hasattr(user, "provider_user")


def _qr_data_uri(text: str) -> str:
    """Drawn here, as an SVG data: URI (img-src allows data:), so the secret never leaves the
    server for a QR service and the page needs no script."""
    import segno

    return segno.make(text, error="m").svg_data_uri(scale=5, border=4, light="#fff")


def _base32(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@require_POST
def logout(request):
    provider_user = provider_user_of(request.user)
    if provider_user is not None:
        audit.record(request, Action.LOGOUT, provider=provider_user.provider)
    auth.logout(request)
    return redirect("console:login")


@never_cache
def set_password(request, uidb64: str, token: str):
    """The one-time link `provider_user create` prints (and the admin shows)."""
    user = _user_from_link(uidb64, token)
    if user is None:
        return render(request, "console/set_password_invalid.html", status=404)
    form = SetPasswordForm(user, request.POST if request.method == "POST" else None)
    if form.is_valid():
        form.save()
        audit.record(
            request, Action.SET_PASSWORD, user, provider=user.provider_user.provider, operator=user
        )
        messages.success(request, gettext("パスワードを設定しました。ログインしてください。"))
        return redirect("console:login")
    return render(request, "console/set_password.html", {"form": form, "email": user.username})


def _user_from_link(uidb64: str, token: str):
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    user = get_user_model().objects.filter(pk=pk, is_active=True, is_staff=False).first()
    if not provider_user_of_any(user) or not default_token_generator.check_token(user, token):
        return None
    return user


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    console = reverse("console:dashboard")
    if target.startswith(console) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _with_next(url: str, target: str) -> str:
    from urllib.parse import urlencode

    return f"{url}?{urlencode({'next': target})}" if target else url
