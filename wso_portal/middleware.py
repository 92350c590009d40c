import ipaddress

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpResponse, HttpResponseBadRequest
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext, gettext_noop

from .handlers import is_api_path
from .problems import problem


class TrustedProxyMiddleware:
    """The client-address header and X-Forwarded-Proto say something only when our own proxy
    set them: from any other peer (a client reaching the server directly) they are removed
    before anything reads them (the login's lockout, SECURE_PROXY_SSL_HEADER)."""

    def __init__(self, get_response):
        from .login import client_address_meta_key

        self.get_response = get_response
        self.proxies = [ipaddress.ip_network(cidr) for cidr in settings.WSO_TRUSTED_PROXIES]
        self.headers = [h for h in (client_address_meta_key(), "HTTP_X_FORWARDED_PROTO") if h]

    def __call__(self, request):
        if not self._from_proxy(request.META.get("REMOTE_ADDR", "")):
            for header in self.headers:
                request.META.pop(header, None)
        return self.get_response(request)

    def _from_proxy(self, remote: str) -> bool:
        try:
            address = ipaddress.ip_address(remote)
        except ValueError:
            return False
        return any(address in network for network in self.proxies)


class JapaneseAdminMiddleware:
    """The admin is for operators and stays Japanese whatever language the browser or the
    language cookie asks for the subscribers' screens. After LocaleMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/admin/"):
            return self.get_response(request)
        with translation.override("ja"):
            request.LANGUAGE_CODE = "ja"
            return self.get_response(request)


class NoStoreForSubscribersMiddleware:
    """Pages seen by a logged-in user carry personal data, and the login page carries the
    credentials typed into it: neither may be kept by the browser or any cache on the way."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.login_path = None

    def __call__(self, request):
        response = self.get_response(request)
        if self.login_path is None:
            self.login_path = reverse("portal:login")
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path == self.login_path:
            add_never_cache_headers(response)  # Cache-Control: max-age=0, no-cache, no-store, …
        return response


class RejectMalformedInputMiddleware:
    """Answer 400 to input no screen can take: a NUL byte in the path, the query string or a
    form body (PostgreSQL refuses NUL in text, so it would otherwise surface as a server error
    wherever the value reaches a query), and a request charset other than UTF-8 (Django refuses
    such a form body while reading it, and again while rendering the error page, which leaves
    no page at all). Runs early, before anything reads the request's data."""

    # Japanese for the API; the page translates them into the browser's language.
    MESSAGE_NUL = gettext_noop("リクエストに使用できない文字 (NUL) が含まれています。")
    MESSAGE_CHARSET = gettext_noop("文字コードは UTF-8 で送信してください。")
    MESSAGE_BODY = gettext_noop("リクエストの本文を読み取れません。")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = self._problem(request)
        if problem is not None:
            return self._bad_request(request, problem)
        return self.get_response(request)

    def _problem(self, request) -> str | None:
        charset = request.content_params.get("charset")
        if charset is not None and charset.strip().lower() != "utf-8":
            return self.MESSAGE_CHARSET
        if "\x00" in request.path or _has_nul(request.META.get("QUERY_STRING", "")):
            return self.MESSAGE_NUL
        if request.content_type not in _FORM_TYPES:
            return None
        try:
            # Read whole first, so that a view reading the body after the form still can.
            raw = request.body
            if request.content_type == _FORM_TYPES[0] and _has_nul(raw.decode("latin-1")):
                return self.MESSAGE_NUL
            # A form is parsed here, so that a body Django cannot parse is answered here too.
            if request.method == "POST" and any(
                "\x00" in key or _any_nul(values) for key, values in request.POST.lists()
            ):
                return self.MESSAGE_NUL
        except (SuspiciousOperation, BadRequest, MultiPartParserError):
            # Too big, too many fields or a broken multipart body. Django's own error page
            # would read the body again for its CSRF check, and fail the same way.
            return self.MESSAGE_BODY
        return None

    def _bad_request(self, request, message: str) -> HttpResponse:
        if is_api_path(request.path):
            return problem(400, message)
        # No request: the page must not depend on anything the malformed request carries. The
        # language is read from the cookie and Accept-Language alone (this runs before
        # LocaleMiddleware), never from the body.
        with translation.override(language_of(request)):
            page = render_to_string("errors/400.html", {"message": gettext(message)})
        return HttpResponseBadRequest(page)


def language_of(request) -> str:
    if request.path.startswith("/admin/"):
        return "ja"
    return translation.get_language_from_request(request)


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(raw: str) -> bool:
    """A NUL byte, raw or percent-encoded, in a query string or form body as sent."""
    return "\x00" in raw or "%00" in raw


def _any_nul(values) -> bool:
    return any(isinstance(value, str) and "\x00" in value for value in values)


CSP_HEADERS = (HEADER, HEADER_REPORT_ONLY)
EXEMPT = {HEADER: "_csp_exempt", HEADER_REPORT_ONLY: "_csp_exempt_ro"}  # csp_exempt() sets them


class ConstantCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the headers of a response that changes nothing in the
    policy built once. No view here changes the policy or asks for a nonce, so every response
    carries the same headers, which django-csp built anew for each (45 µs: the look-up's
    costliest middleware). A response that does change it still goes through django-csp."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.headers: dict[str, str] | None = None
        # A path left out of a policy makes the headers depend on the request.
        self.by_request = any(
            (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES")
            for name in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
        )

    def process_response(self, request, response):
        if (
            self.by_request
            or self.get_policy_parts(request, response) != PolicyParts()
            or self.get_policy_parts(request, response, report_only=True) != PolicyParts()
        ):
            return super().process_response(request, response)
        if self.headers is None:
            built = super().process_response(request, HttpResponse())
            self.headers = {name: built[name] for name in CSP_HEADERS if name in built}
        if settings.DEBUG and response.status_code in (404, 500):  # Django's debug pages
            return response
        for name, value in self.headers.items():
            if not getattr(response, EXEMPT[name], False):
                response.headers.setdefault(name, value)
        # As django-csp does: a nonce asked for once the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
