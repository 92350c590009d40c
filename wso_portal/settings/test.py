from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; prod uses Argon2
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WSO_REQUIRE_OWN_LINE = False
WSO_ADMIN_REQUIRE_MFA = False
# The tests share one in-process cache and log in from 127.0.0.1 all the time: the login rate
# is turned on by the tests of it (tests/portal/test_admin_login.py).
WSO_LOGIN_RATE = ""
# Tests never run collectstatic: serve static files straight from the finders.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# Webhooks to http://127.0.0.1 (the demo's receiver, the tests' servers).
WSO_WEBHOOK_ALLOW_PRIVATE = True
# Every test sees the rows it has just written (tests/portal/test_caching.py turns it on).
WSO_READ_CACHE_SECONDS = 0
# Every revocation takes effect at once (tests/providers/test_key_cache.py turns the key cache on).
WSO_API_KEY_CACHE_SECONDS = 0
