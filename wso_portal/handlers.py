"""The served application's two handlers: the providers' API through the middleware it needs
(WSO_API_MIDDLEWARE), every other path through the pages' (MIDDLEWARE)."""

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

API_PATH_PREFIX = "/api/"  # where urls.py mounts providers.api_urls


def is_api_path(path: str) -> bool:
    """The providers' API's paths, which answer in problem+json and have their own middleware."""
    return path.startswith(API_PATH_PREFIX)


class APIHandler(WSGIHandler):
    """The providers' API through WSO_API_MIDDLEWARE. Django builds a handler's middleware
    from the one MIDDLEWARE setting, so the API's list stands in for it while this one loads."""

    def load_middleware(self, is_async=False):
        pages = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.WSO_API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = pages


def by_path(pages: WSGIHandler, api: WSGIHandler):
    """A WSGI application that gives the API's paths to `api` and every other one to `pages`."""

    def application(environ, start_response):
        handler = api if is_api_path(environ.get("PATH_INFO", "")) else pages
        return handler(environ, start_response)

    return application
