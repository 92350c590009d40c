"""Logins of subscribers (portal) and operators (admin): input normalisation, the client address,
a rate per address, failures and lockout.

Both kinds of login go through one counting and locking path (_attempt): an account (a line's
フレッツナンバー or an operator's username) and the client address each lock after
WSO_LOCKOUT_FAILURES counted failures. Failures and locks live in the database (LoginAttempt,
Lockout), so every process behind the load balancer sees the same counts.
"""

import ipaddress
import json
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import dateformat, timezone
from django.utils.translation import gettext, gettext_noop
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from ops import metrics

from . import rates
from .backends import check_access_key
from .decorators import line_unavailable
from .models import Lockout, LoginAttempt, SubscriberLine, address_lock_key

logger = logging.getLogger("wso_portal.login")

# Japanese here; the login page shows them in the screens' language (views.login).
WRONG_PAIR = gettext_noop("フレッツナンバーまたはアクセスキーが正しくありません。")
NOT_OWN_LINE = gettext_noop("必ず回線情報通知先をご利用になる回線からご利用ください。")
# One message whichever part was wrong, so a guess never learns that the password was right.
WRONG_OPERATOR = "ユーザー名またはパスワードが正しくありません。"
WRONG_OPERATOR_WITH_CODE = "ユーザー名、パスワードまたは確認コードが正しくありません。"
TOO_MANY_ATTEMPTS = gettext_noop(
    "この接続元からのログインが短時間に多すぎるため、受け付けませんでした。"
    "しばらく待ってから再度お試しください。"
)

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


def rate_exceeded(request: HttpRequest) -> bool:
    """Whether this login POST is over WSO_LOGIN_RATE for its client address (its lock unit).

    Called before the form is checked, so before any password hash. The lockout alone does not
    bound the hashing: it counts failures only, so successes, a suspended line's right key and
    guesses spread over the window each still cost one Argon2 hash (about 100 MiB of memory and
    tens of milliseconds of CPU). Counting every POST, whatever its outcome, caps that at
    WSO_LOGIN_RATE hashes per address (an IPv6 client's /64) across /login/ and /admin/login/.
    """
    if not settings.WSO_LOGIN_RATE:
        return False
    address = client_address(request)
    usage = rates.count(
        request,
        group="wso_portal.login",
        key=address_lock_key(address),
        rate=settings.WSO_LOGIN_RATE,
    )
    if usage is not None and usage["should_limit"]:
        logger.warning("login refused address=%s outcome=rate_limited", address)
        return True
    return False


class Outcome:
    SUCCESS = "success"
    WRONG = "wrong"
    WRONG_CODE = "wrong_code"
    LOCKED = "locked"
    NOT_OWN_LINE = "not_own_line"
    UNAVAILABLE = "unavailable"
    PENDING = "pending"
    OVER_LIMIT = "over_limit"


# Outcomes that count towards a lock. A pending attempt is one whose key is being checked:
# counting it makes concurrent guesses see each other. A client outside the line's prefix
# never had its key checked, so it counts against its own address only.
_COUNTED_FOR_ACCOUNT = (Outcome.WRONG, Outcome.WRONG_CODE, Outcome.PENDING, Outcome.OVER_LIMIT)
_COUNTED_FOR_ADDRESS = (*_COUNTED_FOR_ACCOUNT, Outcome.NOT_OWN_LINE)


@dataclass(frozen=True)
class Account:
    """Who is logging in: a line by its フレッツナンバー or an operator by username. Its
    attempts are LoginAttempt rows of this kind, its lock a Lockout of the same kind."""

    kind: str  # LoginAttempt.Kind; Lockout.Kind has the same values
    name: str

    def log(self, address: str, outcome: str) -> None:
        """One key=value line: `login …` with the フレッツナンバー, `admin login …` with the
        username; never the key, password or code."""
        event, field = ("login", "flets_number")
        if self.kind == LoginAttempt.Kind.OPERATOR:
            event, field = ("admin login", "username")
        elif self.kind == LoginAttempt.Kind.PROVIDER:
            event, field = ("provider login", "email")
        if outcome == Outcome.SUCCESS:
            logger.info("%s success %s=%s address=%s", event, field, _logged(self.name), address)
        else:
            logger.warning(
                "%s failure %s=%s address=%s outcome=%s",
                event,
                field,
                _logged(self.name),
                address,
                outcome,
            )


@dataclass
class LoginResult:
    user: AbstractBaseUser | None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.user is not None


@dataclass
class Checked:
    """What an account's own check found once the lockout let it run."""

    outcome: str
    user: AbstractBaseUser | None = None
    message: str = ""


# A lock's message says what caused it, and no more: the account's own failures, those from the
# client's address (several accounts tried from one place), or neither where the account was
# locked with an address that failed (seen from elsewhere, its own count is not claimed).
LOCKED_BY_ACCOUNT = gettext_noop(
    "{account}でのログインに{failures}回続けて失敗したため、{minutes}分間ログインを停止しています。"
    "{time}以降に再度お試しください。"
)
LOCKED_BY_ADDRESS = gettext_noop(
    "ご利用の接続元からのログインに{failures}回続けて失敗したため、"
    "{minutes}分間この接続元からのログインを停止しています。{time}以降に再度お試しください。"
)
LOCKED_ACCOUNT = gettext_noop(
    "{account}でのログインを一時的に停止しています。{time}以降に再度お試しください。"
)
ACCOUNT_NAMES = {LoginAttempt.Kind.LINE: gettext_noop("このフレッツナンバー")}
OTHER_ACCOUNT = gettext_noop("このアカウント")
BY_ACCOUNT, BY_ADDRESS, BY_NEITHER = "account", "address", "neither"


def locked_message(until: datetime, *, cause: str, kind: str = LoginAttempt.Kind.LINE) -> str:
    """cause: BY_ACCOUNT, BY_ADDRESS or BY_NEITHER; kind: the account's (LoginAttempt.Kind)."""
    template = {
        BY_ACCOUNT: LOCKED_BY_ACCOUNT,
        BY_ADDRESS: LOCKED_BY_ADDRESS,
        BY_NEITHER: LOCKED_ACCOUNT,
    }[cause]
    return gettext(template).format(
        account=gettext(ACCOUNT_NAMES.get(kind, OTHER_ACCOUNT)),
        failures=settings.WSO_LOCKOUT_FAILURES,
        minutes=max(1, settings.WSO_LOCKOUT_SECONDS // 60),
        time=dateformat.format(timezone.localtime(until), gettext("H時i分")),
    )


def attempt(request: HttpRequest, flets_number: str, access_key: str) -> LoginResult:
    """Check a normalised pair from `request`'s client; record and log the outcome.

    The own-line check (when on) refuses before the key is looked at and counts only against
    the address.
    """

    def outside_own_line(address: str) -> bool:
        if not settings.WSO_REQUIRE_OWN_LINE:
            return False
        line = SubscriberLine.objects.filter(flets_number=flets_number).first()
        return line is None or not line.owns_address(address)

    def check() -> Checked:
        line = check_access_key(flets_number, access_key)
        if line is None:
            return Checked(Outcome.WRONG, message=WRONG_PAIR)
        if line.status != SubscriberLine.Status.ACTIVE:
            return Checked(Outcome.UNAVAILABLE, message=line_unavailable(line))
        return Checked(Outcome.SUCCESS, user=line.user)

    account = Account(LoginAttempt.Kind.LINE, flets_number)
    return _attempt(request, account, check, outside_own_line=outside_own_line)


def attempt_operator(
    request: HttpRequest, username: str, password: str, code: str = ""
) -> LoginResult:
    """An operator's admin login: username + password (StaffBackend) and, when
    WSO_ADMIN_REQUIRE_MFA is on, the code of the operator's TOTP device. Locked, recorded and
    logged like a subscriber's login; a wrong code counts as a failure like a wrong password."""
    require_code = settings.WSO_ADMIN_REQUIRE_MFA
    wrong = WRONG_OPERATOR_WITH_CODE if require_code else WRONG_OPERATOR

    def check() -> Checked:
        # Through auth.authenticate, so user_login_failed is sent as for any other login.
        user = auth.authenticate(request, username=username, password=password)
        if user is None or not user.is_staff:
            return Checked(Outcome.WRONG, message=wrong)
        if require_code:
            device = _verified_device(user, code)
            if device is None:
                return Checked(Outcome.WRONG_CODE, message=wrong)
            # django_otp marks the session verified when auth.login sees this.
            user.otp_device = device
        return Checked(Outcome.SUCCESS, user=user)

    return _attempt(request, Account(LoginAttempt.Kind.OPERATOR, username), check)


def attempt_account(
    request: HttpRequest, kind: str, name: str, check: Callable[[], Checked]
) -> LoginResult:
    """Another kind of account's login (a higher app's, such as the provider console's) through
    the same lockout, records and log: `check` runs only once the locks let it."""
    return _attempt(request, Account(kind, name), check)


def _verified_device(user: AbstractBaseUser, code: str) -> TOTPDevice | None:
    """The operator's confirmed TOTP device if `code` is its current one (used once only)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
    if device is None or not code:
        return None
    return verify_token(user, device.persistent_id, code)


def _attempt(
    request: HttpRequest,
    account: Account,
    check: Callable[[], Checked],
    *,
    outside_own_line: Callable[[str], bool] | None = None,
) -> LoginResult:
    """The lockout around an account's own check. Order: a locked client address; the own-line
    check, if any; a locked account; then `check`, counted before it runs."""
    address = client_address(request)
    now = timezone.now()

    lock = _active_lock(Lockout.Kind.ADDRESS, address_lock_key(address), now)
    if lock:
        _record(account, address, Outcome.LOCKED)
        return _refuse(account, address, Outcome.LOCKED, _lock_message(lock, account))

    if outside_own_line is not None and outside_own_line(address):
        _record(account, address, Outcome.NOT_OWN_LINE)
        if _failures(address=address, now=now) >= settings.WSO_LOCKOUT_FAILURES:
            until = _lock(address=address, now=now)
            message = locked_message(until, cause=BY_ADDRESS, kind=account.kind)
            return _refuse(account, address, Outcome.LOCKED, message)
        return _refuse(account, address, Outcome.NOT_OWN_LINE, NOT_OWN_LINE)

    lock = _active_lock(account.kind, account.name, now)
    if lock:
        _record(account, address, Outcome.LOCKED)
        return _refuse(account, address, Outcome.LOCKED, _lock_message(lock, account))

    # Concurrent guesses: each one is counted before its key is checked and stays counted, so
    # at most WSO_LOCKOUT_FAILURES of them get that far; the lock is looked at again after
    # counting, because a lock set meanwhile starts a new count.
    pending = _record(account, address, Outcome.PENDING)
    if _over_limit(account, address, now, allowed=settings.WSO_LOCKOUT_FAILURES):
        pending.reason = Outcome.OVER_LIMIT
        pending.save(update_fields=["reason"])
        return _lock_now(account, address, now, allowed=settings.WSO_LOCKOUT_FAILURES)
    lock = _active_lock(account.kind, account.name, timezone.now()) or _active_lock(
        Lockout.Kind.ADDRESS, address_lock_key(address), timezone.now()
    )
    if lock:
        pending.reason = Outcome.LOCKED
        pending.save(update_fields=["reason"])
        return _refuse(account, address, Outcome.LOCKED, _lock_message(lock, account))

    checked = check()
    pending.reason = checked.outcome
    pending.succeeded = checked.outcome == Outcome.SUCCESS
    pending.save(update_fields=["reason", "succeeded"])
    if pending.succeeded:
        account.log(address, Outcome.SUCCESS)
        return LoginResult(user=checked.user)
    if checked.outcome in _COUNTED_FOR_ACCOUNT and _over_limit(
        account, address, now, allowed=settings.WSO_LOCKOUT_FAILURES - 1
    ):
        return _lock_now(account, address, now, allowed=settings.WSO_LOCKOUT_FAILURES - 1)
    return _refuse(account, address, checked.outcome, checked.message)


def _lock_now(account: Account, address: str, now: datetime, *, allowed: int) -> LoginResult:
    """Lock the account and the address, saying which of the two counts went over."""
    cause = BY_ACCOUNT if _failures(account=account, now=now) > allowed else BY_ADDRESS
    until = _lock(account=account, address=address, now=now)
    return _refuse(
        account, address, Outcome.LOCKED, locked_message(until, cause=cause, kind=account.kind)
    )


def _lock_message(lock: Lockout, account: Account) -> str:
    """An active lock's message: an account lock claims the account's failures only when they
    reached the limit by the time it was set."""
    if lock.kind == Lockout.Kind.ADDRESS:
        cause = BY_ADDRESS
    else:
        since = lock.created_at - timedelta(seconds=settings.WSO_LOCKOUT_WINDOW_SECONDS)
        own = LoginAttempt.objects.filter(
            kind=account.kind,
            flets_number=account.name,
            at__gt=since,
            at__lte=lock.created_at,
            reason__in=_COUNTED_FOR_ACCOUNT,
        ).count()
        cause = BY_ACCOUNT if own >= settings.WSO_LOCKOUT_FAILURES else BY_NEITHER
    return locked_message(lock.until, cause=cause, kind=account.kind)


def _refuse(account: Account, address: str, outcome: str, message: str) -> LoginResult:
    """Log a refusal (already recorded) and say why."""
    metrics.LOGIN_FAILURES.labels(account.kind, outcome).inc()
    account.log(address, outcome)
    return LoginResult(user=None, message=message)


def _logged(value: str) -> str:
    """A typed value fit for a key=value line: as it is when plain, else JSON-quoted (a
    username may hold spaces, '=' or line breaks)."""
    if re.fullmatch(r"[\w.@+-]+", value):
        return value
    return json.dumps(value)  # ASCII only: no line or paragraph separator gets through


def _record(account: Account, address: str, outcome: str) -> LoginAttempt:
    return LoginAttempt.objects.create(
        kind=account.kind,
        flets_number=account.name,
        client_address=address,
        address_key=address_lock_key(address),
        succeeded=outcome == Outcome.SUCCESS,
        reason=outcome,
    )


def _active_lock(kind: str, key: str, now: datetime) -> Lockout | None:
    return Lockout.objects.filter(kind=kind, key=key, until__gt=now).order_by("-until").first()


def _failures(*, now: datetime, address: str | None = None, account: Account | None = None):
    """Counted failures in the window, after the last lock of that key was set (those before it
    are spent) and, for an account, after its last successful login."""
    since = now - timedelta(seconds=settings.WSO_LOCKOUT_WINDOW_SECONDS)
    if account is not None:
        kind, key = account.kind, account.name
        attempts = Q(kind=account.kind, flets_number=account.name)
        counted = _COUNTED_FOR_ACCOUNT
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


def _over_limit(account: Account, address: str, now: datetime, *, allowed: int) -> bool:
    return (
        _failures(account=account, now=now) > allowed
        or _failures(address=address, now=now) > allowed
    )


def _lock(*, now: datetime, address: str, account: Account | None = None) -> datetime:
    until = now + timedelta(seconds=settings.WSO_LOCKOUT_SECONDS)
    set_at = timezone.now()  # after the failure that caused it, which is then spent
    Lockout.objects.create(
        kind=Lockout.Kind.ADDRESS, key=address_lock_key(address), until=until, created_at=set_at
    )
    if account is not None:
        Lockout.objects.create(kind=account.kind, key=account.name, until=until, created_at=set_at)
    metrics.LOGIN_LOCKS.labels(account.kind if account else Lockout.Kind.ADDRESS).inc()
    return until


def purge_login_records(*, now: datetime | None = None) -> int:
    """Login attempts and locks older than WSO_LOGIN_RECORD_RETENTION_DAYS: they hold who tried
    which line from where, and the lockout needs only the last window of them."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WSO_LOGIN_RECORD_RETENTION_DAYS)
    attempts = LoginAttempt.objects.filter(at__lt=cutoff).delete()[0]
    locks = Lockout.objects.filter(until__lt=cutoff).delete()[0]
    return attempts + locks
