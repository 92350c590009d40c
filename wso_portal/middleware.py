from django.urls import reverse
from django.utils.cache import add_never_cache_headers


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
