"""Login of a subscriber: input normalisation, the client address, failures and lockout.

Failures and locks live in the database (LoginAttempt, Lockout), so every process behind the
load balancer sees the same counts.
"""

import ipaddress
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import timezone

from .backends import check_access_key
from .decorators import LINE_UNAVAILABLE
from .models import Lockout, LoginAttempt, SubscriberLine, address_lock_key

logger = logging.getLogger("wso_portal.login")

WRONG_PAIR = "フレッツナンバーまたはアクセスキーが正しくありません。"
NOT_OWN_LINE = "必ず回線情報通知先をご利用になる回線からご利用ください。"

# Whitespace is removed by \s; these are the hyphen-like characters people (and IMEs) type.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ーｰ－]+")


def normalise(value: str) -> str:
    """As typed → as stored: half-width (NFKC), no spaces or hyphens, upper-case."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value or "")).upper()


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the header our proxies set (settings.WSO_CLIENT_ADDRESS_HEADER), which
    TrustedProxyMiddleware has removed unless the request came through one of them.

    Each proxy appends the address it was reached from: with WSO_TRUSTED_PROXY_HOPS proxies of
    ours in front, the client is that many entries from the right; entries before it are
    whatever the client sent.
    """
    raw = request.META.get("REMOTE_ADDR", "")
    header = client_address_meta_key()
    if header:
        entries = [e.strip() for e in request.META.get(header, "").split(",") if e.strip()]
        if entries:
            raw = entries[-min(settings.WSO_TRUSTED_PROXY_HOPS, len(entries))]
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return "0.0.0.0"


def client_address_meta_key() -> str:
    """WSO_CLIENT_ADDRESS_HEADER as request.META names it; empty when it is not set."""
    header = settings.WSO_CLIENT_ADDRESS_HEADER.upper().replace("-", "_")
    if header and not header.startswith("HTTP_"):
        header = f"HTTP_{header}"
    return header


class Outcome:
    SUCCESS = "success"
    WRONG = "wrong"
    LOCKED = "locked"
    NOT_OWN_LINE = "not_own_line"
    UNAVAILABLE = "unavailable"
    PENDING = "pending"
    OVER_LIMIT = "over_limit"


# Outcomes that count towards a lock. A pending attempt is one whose key is being checked:
# counting it makes concurrent guesses see each other. A client outside the line's prefix
# never had its key checked, so it counts against its own address only.
_COUNTED_FOR_LINE = (Outcome.WRONG, Outcome.PENDING, Outcome.OVER_LIMIT)
_COUNTED_FOR_ADDRESS = (*_COUNTED_FOR_LINE, Outcome.NOT_OWN_LINE)


@dataclass
class LoginResult:
    user: AbstractBaseUser | None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.user is not None


def locked_message(until: datetime) -> str:
    minutes = max(1, settings.WSO_LOCKOUT_SECONDS // 60)
    local = timezone.localtime(until)
    return (
        f"ログインに{settings.WSO_LOCKOUT_FAILURES}回続けて失敗したため、"
        f"{minutes}分間ログインを停止しています。"
        f"{local:%H時%M分}以降に再度お試しください。"
    )


def attempt(request: HttpRequest, flets_number: str, access_key: str) -> LoginResult:
    """Check a normalised pair from `request`'s client; record and log the outcome.

    Order: a locked client address; the own-line check (when on), which refuses before the key
    is looked at and counts only against the address; a locked line; then the key.
    """
    address = client_address(request)
    now = timezone.now()

    lock = _active_lock(Lockout.Kind.ADDRESS, address_lock_key(address), now)
    if lock:
        _record(flets_number, address, Outcome.LOCKED)
        return _refuse(flets_number, address, Outcome.LOCKED, locked_message(lock.until))

    if settings.WSO_REQUIRE_OWN_LINE:
        line = SubscriberLine.objects.filter(flets_number=flets_number).first()
        if line is None or not line.owns_address(address):
            _record(flets_number, address, Outcome.NOT_OWN_LINE)
            if _failures(address=address, now=now) >= settings.WSO_LOCKOUT_FAILURES:
                until = _lock(address=address, now=now)
                return _refuse(flets_number, address, Outcome.LOCKED, locked_message(until))
            return _refuse(flets_number, address, Outcome.NOT_OWN_LINE, NOT_OWN_LINE)

    lock = _active_lock(Lockout.Kind.LINE, flets_number, now)
    if lock:
        _record(flets_number, address, Outcome.LOCKED)
        return _refuse(flets_number, address, Outcome.LOCKED, locked_message(lock.until))

    # Concurrent guesses: each one is counted before its key is checked and stays counted, so
    # at most WSO_LOCKOUT_FAILURES of them get that far; the lock is looked at again after
    # counting, because a lock set meanwhile starts a new count.
    pending = _record(flets_number, address, Outcome.PENDING)
    if _over_limit(flets_number, address, now, allowed=settings.WSO_LOCKOUT_FAILURES):
        pending.reason = Outcome.OVER_LIMIT
        pending.save(update_fields=["reason"])
        until = _lock(flets_number=flets_number, address=address, now=now)
        return _refuse(flets_number, address, Outcome.LOCKED, locked_message(until))
    lock = _active_lock(Lockout.Kind.LINE, flets_number, timezone.now()) or _active_lock(
        Lockout.Kind.ADDRESS, address_lock_key(address), timezone.now()
    )
    if lock:
        pending.reason = Outcome.LOCKED
        pending.save(update_fields=["reason"])
        return _refuse(flets_number, address, Outcome.LOCKED, locked_message(lock.until))

    line = check_access_key(flets_number, access_key)
    if line is None:
        pending.reason = Outcome.WRONG
        pending.save(update_fields=["reason"])
        if _over_limit(flets_number, address, now, allowed=settings.WSO_LOCKOUT_FAILURES - 1):
            until = _lock(flets_number=flets_number, address=address, now=now)
            return _refuse(flets_number, address, Outcome.LOCKED, locked_message(until))
        return _refuse(flets_number, address, Outcome.WRONG, WRONG_PAIR)

    if line.status != SubscriberLine.Status.ACTIVE:
        pending.reason = Outcome.UNAVAILABLE
        pending.save(update_fields=["reason"])
        return _refuse(flets_number, address, Outcome.UNAVAILABLE, LINE_UNAVAILABLE)

    pending.reason = Outcome.SUCCESS
    pending.succeeded = True
    pending.save(update_fields=["reason", "succeeded"])
    logger.info("login success flets_number=%s address=%s", flets_number, address)
    return LoginResult(user=line.user)


def _refuse(flets_number: str, address: str, outcome: str, message: str) -> LoginResult:
    """Log a refusal (already recorded) and say why."""
    logger.warning(
        "login failure flets_number=%s address=%s outcome=%s", flets_number, address, outcome
    )
    return LoginResult(user=None, message=message)


def _record(flets_number: str, address: str, outcome: str) -> LoginAttempt:
    return LoginAttempt.objects.create(
        flets_number=flets_number,
        client_address=address,
        address_key=address_lock_key(address),
        succeeded=outcome == Outcome.SUCCESS,
        reason=outcome,
    )


def _active_lock(kind: str, key: str, now: datetime) -> Lockout | None:
    return Lockout.objects.filter(kind=kind, key=key, until__gt=now).order_by("-until").first()


def _failures(*, now: datetime, address: str | None = None, flets_number: str | None = None):
    """Counted failures in the window, after the last lock of that key was set (those before it
    are spent) and, for a line, after its last successful login."""
    since = now - timedelta(seconds=settings.WSO_LOCKOUT_WINDOW_SECONDS)
    if flets_number is not None:
        kind, key, attempts = Lockout.Kind.LINE, flets_number, Q(flets_number=flets_number)
        counted = _COUNTED_FOR_LINE
        last_success = LoginAttempt.objects.filter(attempts, succeeded=True).aggregate(
            at=Max("at")
        )["at"]
        if last_success and last_success > since:
            since = last_success
    else:
        key = address_lock_key(address)
        kind, attempts = Lockout.Kind.ADDRESS, Q(address_key=key)
        counted = _COUNTED_FOR_ADDRESS
    last_lock = Lockout.objects.filter(kind=kind, key=key).aggregate(at=Max("created_at"))["at"]
    if last_lock and last_lock > since:
        since = last_lock
    return LoginAttempt.objects.filter(attempts, at__gt=since, reason__in=counted).count()


def _over_limit(flets_number: str, address: str, now: datetime, *, allowed: int) -> bool:
    return (
        _failures(flets_number=flets_number, now=now) > allowed
        or _failures(address=address, now=now) > allowed
    )


def _lock(*, now: datetime, address: str, flets_number: str | None = None) -> datetime:
    until = now + timedelta(seconds=settings.WSO_LOCKOUT_SECONDS)
    set_at = timezone.now()  # after the failure that caused it, which is then spent
    Lockout.objects.create(
        kind=Lockout.Kind.ADDRESS, key=address_lock_key(address), until=until, created_at=set_at
    )
    if flets_number is not None:
        Lockout.objects.create(
            kind=Lockout.Kind.LINE, key=flets_number, until=until, created_at=set_at
        )
    return until


def purge_login_records(*, now: datetime | None = None) -> int:
    """Login attempts and locks older than WSO_LOGIN_RECORD_RETENTION_DAYS: they hold who tried
    which line from where, and the lockout needs only the last window of them."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WSO_LOGIN_RECORD_RETENTION_DAYS)
    attempts = LoginAttempt.objects.filter(at__lt=cutoff).delete()[0]
    locks = Lockout.objects.filter(until__lt=cutoff).delete()[0]
    return attempts + locks
