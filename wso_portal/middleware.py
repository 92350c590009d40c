import ipaddress

from django.conf import settings
from django.urls import reverse
from django.utils.cache import add_never_cache_headers


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
