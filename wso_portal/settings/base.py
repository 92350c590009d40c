from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me")
# Earlier keys, still accepted for what they signed while SECRET_KEY is rotated.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    # Before wso_portal, whose admin takes the TOTP devices off the admin (operator_totp).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "wso_portal",
    "agreements",
    "notification",
    "providers",
    "audit",
    "console",
    "ops",
    "ninja",
    "django_ratelimit",
]

MIDDLEWARE = [
    "wso_portal.logs.RequestIdMiddleware",
    "wso_portal.middleware.TrustedProxyMiddleware",
    "ops.middleware.OpsMiddleware",  # /healthz, /readyz, /metrics; counts every other request
    "django.middleware.security.SecurityMiddleware",
    "wso_portal.middleware.RejectMalformedInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "wso_portal.middleware.JapaneseAdminMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "wso_portal.sessions.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wso_portal.middleware.ConstantCSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "wso_portal.middleware.NoStoreForSubscribersMiddleware",
]
# The providers' API (/api/, wso_portal/wsgi.py) through the middleware it needs, in the same
# order: none of the pages' static files, sessions, language, login, messages or CSRF (the API
# authenticates each request by its key), which took 15% of a look-up.
WSO_API_MIDDLEWARE = [
    "wso_portal.logs.RequestIdMiddleware",
    "wso_portal.middleware.TrustedProxyMiddleware",
    "ops.middleware.OpsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "wso_portal.middleware.RejectMalformedInputMiddleware",
    "django.middleware.common.CommonMiddleware",  # reads the Host, so ALLOWED_HOSTS holds here too
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wso_portal.middleware.ConstantCSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
]

ROOT_URLCONF = "wso_portal.urls"
WSGI_APPLICATION = "wso_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wso_portal.context_processors.line",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Reconnecting per request costs several times the request itself.
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default meets the same races as PostgreSQL (a double click on 【変更】, the
    # worker beside the web server): every transaction takes the write lock when it starts, and
    # a writer waits for another instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's own, with a health check that sends nothing to a connection that is still open.
    DATABASES["default"]["ENGINE"] = "wso_portal.postgresql"
    # Every page runs the same few queries: psycopg prepares each on a connection after its fifth
    # use (psycopg's default), so PostgreSQL plans it once per connection instead of on every
    # request. Planning costs more than running most of them. Needs server-side binding.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
# Behind PgBouncer in transaction mode each transaction gets whichever server connection is free:
# a statement prepared on one is unknown on the next (unless PgBouncer is 1.21 or later with
# max_prepared_statements: then WSO_DB_PREPARE=1), and a server-side cursor outlives the
# transaction that opened it. docs/operations.md, "PgBouncer".
WSO_DB_TRANSACTION_POOLING = env_bool("WSO_DB_TRANSACTION_POOLING", False)
if DATABASES["default"]["ENGINE"] == "wso_portal.postgresql" and WSO_DB_TRANSACTION_POOLING:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    if not env_bool("WSO_DB_PREPARE", False):
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "wso_portal.backends.AccessKeyBackend",  # subscribers, portal login only
    "wso_portal.backends.StaffBackend",  # operators, admin login only
    "console.backends.ProviderUserBackend",  # providers' staff, /provider/login/ only
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:top"

SESSION_ENGINE = "wso_portal.sessions"  # database sessions
SESSION_COOKIE_AGE = env_int("WSO_SESSION_IDLE_SECONDS", 30 * 60)
# The 30 idle minutes count from the last request, to within a minute (wso_portal.sessions).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# However active, a session ends this long after its login (wso_portal.sessions).
WSO_SESSION_MAX_AGE_SECONDS = env_int("WSO_SESSION_MAX_AGE_SECONDS", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "wso_portal.views.csrf_failure"

LANGUAGE_CODE = "ja"
# Subscribers' screens in Japanese (the manual's words) or English; the admin is Japanese only
# (wso_portal.middleware.JapaneseAdminMiddleware). The catalogue is committed compiled.
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
# DATETIME_FORMAT for every time a person reads, in each language (wso_portal/formats).
FORMAT_MODULE_PATH = ["wso_portal.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "wso-noreply@example.jp")

# Content-Security-Policy (django-csp): only the site's own files, no inline script or style,
# on the portal and the admin alike. The API's docs page widens it for Redoc (providers/api.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Permissions-Policy (django-permissions-policy): every browser feature the portal never uses.
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    ]
}

# The portal's own knobs.
WSO_LOCKOUT_FAILURES = env_int("WSO_LOCKOUT_FAILURES", 5)
WSO_LOCKOUT_WINDOW_SECONDS = env_int("WSO_LOCKOUT_WINDOW_SECONDS", 15 * 60)
WSO_LOCKOUT_SECONDS = env_int("WSO_LOCKOUT_SECONDS", 15 * 60)
WSO_REQUIRE_OWN_LINE = env_bool("WSO_REQUIRE_OWN_LINE", False)
# Login attempts and locks are kept this long (manage.py purge); the lockout needs far less.
WSO_LOGIN_RECORD_RETENTION_DAYS = env_int("WSO_LOGIN_RECORD_RETENTION_DAYS", 90)
# Login POSTs (portal and admin) per client address (an IPv6 client's /64), counted in the
# default cache before any password is hashed; empty: no limit.
WSO_LOGIN_RATE = env_str("WSO_LOGIN_RATE", "10/m")
# Operators log in to the admin with a TOTP code as well (manage.py operator_totp). On in prod.
WSO_ADMIN_REQUIRE_MFA = env_bool("WSO_ADMIN_REQUIRE_MFA", False)
OTP_TOTP_ISSUER = "WSO 運用管理"
# Provider users log in to the console (/provider/) with a TOTP code too, enrolled on their first
# login. On in prod.
WSO_CONSOLE_REQUIRE_MFA = env_bool("WSO_CONSOLE_REQUIRE_MFA", False)
# Behind proxies: the request header carrying the client's address (e.g. X-Forwarded-For).
# Empty: REMOTE_ADDR. The header, and X-Forwarded-Proto, count only on requests from an address
# in WSO_TRUSTED_PROXIES (CIDRs); the client is WSO_TRUSTED_PROXY_HOPS entries from the right.
WSO_CLIENT_ADDRESS_HEADER = env_str("WSO_CLIENT_ADDRESS_HEADER", "")
WSO_TRUSTED_PROXIES = env_list("WSO_TRUSTED_PROXIES", "")
WSO_TRUSTED_PROXY_HOPS = env_int("WSO_TRUSTED_PROXY_HOPS", 1)
WSO_FLOW_MAX_AGE_SECONDS = env_int("WSO_FLOW_MAX_AGE_SECONDS", 30 * 60)
WSO_WORK_DELAY = env_int("WSO_WORK_DELAY", 3600)
WSO_WORKER_POLL_SECONDS = env_int("WSO_WORKER_POLL_SECONDS", 5)
WSO_MAIL_MAX_ATTEMPTS = env_int("WSO_MAIL_MAX_ATTEMPTS", 5)
WSO_MAIL_RETRY_BASE_SECONDS = env_int("WSO_MAIL_RETRY_BASE_SECONDS", 60)
WSO_PROVIDERS_PER_PAGE = env_int("WSO_PROVIDERS_PER_PAGE", 20)
# Seconds the services, announcements and current 同意書 are reused in a process (caching.py).
WSO_READ_CACHE_SECONDS = env_int("WSO_READ_CACHE_SECONDS", 5)
# Providers' API: look-ups per second per key, and how long disclosures are kept.
WSO_API_RATE_LIMIT = env_int("WSO_API_RATE_LIMIT", 100)
# Seconds a worker keeps a key it has found: a revocation elsewhere takes up to this long to reach
# it (providers/key_cache.py).
WSO_API_KEY_CACHE_SECONDS = env_int("WSO_API_KEY_CACHE_SECONDS", 5)
# 3 years, as 個人情報保護法 第29条 asks of records of provision to a third party (a system
# check refuses under 365). The log goes a whole month at a time once the month is past it.
WSO_DISCLOSURE_RETENTION_DAYS = env_int("WSO_DISCLOSURE_RETENTION_DAYS", 1095)

# 即時通知 (webhooks). Production calls only https:// URLs on public addresses.
WSO_WEBHOOK_ALLOW_PRIVATE = env_bool("WSO_WEBHOOK_ALLOW_PRIVATE", False)
WSO_WEBHOOK_CONNECT_TIMEOUT = env_float("WSO_WEBHOOK_CONNECT_TIMEOUT", 3)
WSO_WEBHOOK_TIMEOUT = env_float("WSO_WEBHOOK_TIMEOUT", 10)
# Seconds to wait after each failed attempt (Standard Webhooks: 5 s, 5 min, 30 min, 2 h, 5 h,
# 10 h, 10 h); after the last, the event is failed.
WSO_WEBHOOK_RETRY_SCHEDULE = [
    int(seconds)
    for seconds in env_list("WSO_WEBHOOK_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,36000")
]
WSO_WEBHOOK_CONCURRENCY = env_int("WSO_WEBHOOK_CONCURRENCY", 4)
# A worker holds an event this long while it delivers; one that dies leaves it to be sent again
# after. At least twice WSO_WEBHOOK_TIMEOUT (a system check refuses less).
WSO_WEBHOOK_LEASE_SECONDS = env_int("WSO_WEBHOOK_LEASE_SECONDS", 60)
# How long a rotated-out signing secret keeps signing beside the new one.
WSO_WEBHOOK_SECRET_OVERLAP_SECONDS = env_int("WSO_WEBHOOK_SECRET_OVERLAP_SECONDS", 24 * 3600)
# /metrics answers loopback and these CIDRs (Prometheus' addresses); anyone else gets a 404.
WSO_METRICS_ALLOWED = env_list("WSO_METRICS_ALLOWED", "")
# `manage.py worker` serves its own counts (工事, mails, webhooks) on this port; 0: none.
WSO_WORKER_METRICS_PORT = env_int("WSO_WORKER_METRICS_PORT", 0)
WSO_WORKER_METRICS_ADDRESS = env_str("WSO_WORKER_METRICS_ADDRESS", "127.0.0.1")
# What `manage.py worker` runs, each in a loop of its own: the 工事 and mails, and deliveries.
WSO_WORKER_TASKS = [
    "notification.work.run_due_work",
    "providers.webhooks.run_due_deliveries",
    "providers.rollups.run_roll_up",
]

# The API's rate counts and the login bound. In-process unless REDIS_URL is set; production
# requires Redis so that the limits hold across workers and hosts. django-redis keeps one client
# per process (Django's own backend builds a new one for every command); a Redis that does not
# answer within a second counts as unreachable (wso_portal.rates lets the request through).
REDIS_URL = env_str("REDIS_URL", "")


def redis_cache(location: str) -> dict:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": location,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }


CACHES = {
    "default": (
        redis_cache(REDIS_URL)
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# In-process counts (not shared, not on django-ratelimit's list): right for one process (make
# run, tests), refused in production.
SILENCED_SYSTEM_CHECKS = [] if REDIS_URL else ["django_ratelimit.E003", "django_ratelimit.W001"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "wso_portal.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
