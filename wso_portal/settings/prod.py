from .base import *  # noqa: F403
from .env import env_bool, env_int, env_str

SECRET_KEY = env_str("SECRET_KEY")
# The API's rate limit must hold across workers and hosts: a shared Redis.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {"default": redis_cache(REDIS_URL)}  # noqa: F405
SILENCED_SYSTEM_CHECKS = []
DEBUG = False
# Operators' admin logins need the TOTP code too.
WSO_ADMIN_REQUIRE_MFA = env_bool("WSO_ADMIN_REQUIRE_MFA", True)
# Provider users' console logins too.
WSO_CONSOLE_REQUIRE_MFA = env_bool("WSO_CONSOLE_REQUIRE_MFA", True)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
# __Host- cookies: only over HTTPS, for this host alone, on every path (no Domain attribute).
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
LANGUAGE_COOKIE_NAME = "__Host-language"
LANGUAGE_COOKIE_SECURE = True
