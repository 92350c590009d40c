"""即時通知: a provider is told, signed and retried, when a line's setting for it changes.

Events are written in the 工事's own transaction (an outbox: they exist if and only if the 工事
committed) and delivered by the worker: claimed with SKIP LOCKED and a lease, POSTed with short
timeouts to an address checked to be public, retried on the Standard Webhooks schedule. A worker
that dies mid-delivery leaves the lease to run out and the event to be sent again: delivery is
at-least-once and receivers dedupe on webhook-id. Per (provider, line), an event waits while an
earlier one is pending, so an enabled never arrives after the disabled that followed it.
"""

import base64
import ipaddress
import json
import logging
import random
import secrets
import socket
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.dispatch import receiver
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from notification.models import Application, Direction
from notification.signals import settings_switched
from ops import metrics

from .addresses import is_public as _is_public
from .models import DeliveryAttempt, Disclosure, Endpoint, EndpointSecret, WebhookEvent
from .services import delete_in_batches, retention_start
from .signals import endpoint_failing

logger = logging.getLogger("providers.webhooks")

SECRET_BYTES = 32
MAX_ERROR_LENGTH = 500
# The first bytes of a receiver's answer kept with each attempt, for the provider to see.
RESPONSE_BODY_KEPT = 1024
# An endpoint whose every attempt has failed this long is disabled (as Svix does).
DISABLE_AFTER = timedelta(days=5)
# While deliveries are in flight, how often the worker looks for events that became due.
RECHECK_SECONDS = 0.5
Type = WebhookEvent.Type
State = WebhookEvent.State


class UnsafeURL(Exception):
    """A URL the portal will not call: not https, or a host that is not on the public internet."""


# Endpoints and their secrets -------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_url(url: str) -> tuple[str, str, int, list[str]]:
    """(scheme, host, port, addresses) of a URL the portal may POST to.

    Production accepts https:// only, to a host whose every address is public: a name that
    resolves to any address the IANA registries do not mark globally reachable (addresses.py,
    IPv4 inside IPv6 forms included) is refused, here at registration and again at each
    delivery (the name may have been pointed elsewhere meanwhile).
    """
    allow_private = settings.WSO_WEBHOOK_ALLOW_PRIVATE
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL("通知先URLの形式が正しくありません。") from exc
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes:
        raise UnsafeURL("通知先URLは https:// で始まるURLにしてください。")
    if not parts.hostname:
        raise UnsafeURL("通知先URLにホスト名がありません。")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("通知先URLに利用者名やパスワードは含められません。")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"通知先URLのホスト名 {parts.hostname} を解決できません。") from exc
    addresses = list(dict.fromkeys(info[4][0].split("%")[0] for info in found))
    if not allow_private:
        for address in addresses:
            if not _is_public(ipaddress.ip_address(address)):
                raise UnsafeURL(
                    f"通知先URLのホストは公開されていないアドレス ({address}) を指しています。"
                )
    return parts.scheme, parts.hostname, port, addresses


def register_endpoint(provider, url: str) -> tuple[Endpoint, str | None]:
    """Set the provider's URL. A new endpoint gets a signing secret, returned once."""
    check_url(url)
    with transaction.atomic():
        endpoint, created = Endpoint.objects.update_or_create(
            provider=provider, defaults={"url": url}
        )
        if not created:
            return endpoint, None
        secret = new_secret()
        EndpointSecret.objects.create(endpoint=endpoint, secret=secret)
    return endpoint, secret


def rotate_secret(endpoint: Endpoint, *, now: datetime | None = None) -> str:
    """A new signing secret, returned once. The current ones keep signing beside it for
    WSO_WEBHOOK_SECRET_OVERLAP_SECONDS, as the spec's space-separated signatures allow."""
    now = now or timezone.now()
    overlap_ends = now + timedelta(seconds=settings.WSO_WEBHOOK_SECRET_OVERLAP_SECONDS)
    secret = new_secret()
    with transaction.atomic():
        endpoint.secrets.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=overlap_ends)).update(
            expires_at=overlap_ends
        )
        EndpointSecret.objects.create(endpoint=endpoint, secret=secret)
    return secret


def signing_secrets(endpoint: Endpoint, *, now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    return list(
        endpoint.secrets.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("-created_at", "-id")
        .values_list("secret", flat=True)
    )


# The outbox ------------------------------------------------------------------------------------


@receiver(settings_switched, dispatch_uid="providers.webhooks.write_events")
def write_events(sender, *, application: Application, now: datetime, **kwargs) -> None:
    """One event per (application, provider) with an endpoint, in the 工事's transaction.

    A disabled event goes only to a provider that was given the お客様ID before (an enabled
    event or a disclosure), so it never tells a provider an ID it did not have.
    """
    items = list(
        application.items.filter(provider__endpoint__isnull=False).select_related(
            "provider", "line"
        )
    )
    if not items:
        return
    enabled = application.direction == Direction.NOTIFY
    if not enabled:
        told = _providers_told(application.line_id, [item.provider_id for item in items])
        items = [item for item in items if item.provider_id in told]
    event_type = Type.ENABLED if enabled else Type.DISABLED
    WebhookEvent.objects.bulk_create(
        WebhookEvent(
            provider=item.provider,
            line=item.line,
            application_item=item,
            type=event_type,
            webhook_id=_webhook_id(),
            data={
                "customer_id": item.line.customer_id,
                "provider_code": item.provider.code,
                "effective_at": now.isoformat(),
            },
            created_at=now,
            next_attempt_at=now,
        )
        for item in items
    )


def _providers_told(line_id: int, provider_ids: list[int]) -> set[int]:
    by_event = WebhookEvent.objects.filter(
        line_id=line_id, provider_id__in=provider_ids, type=Type.ENABLED
    ).values_list("provider_id", flat=True)
    by_disclosure = Disclosure.objects.filter(
        line_id=line_id, provider_id__in=provider_ids
    ).values_list("provider_id", flat=True)
    return set(by_event) | set(by_disclosure.distinct())


def _webhook_id() -> str:
    return f"msg_{secrets.token_hex(16)}"


def event_body(event: WebhookEvent) -> str:
    """The payload as the Standard Webhooks spec shapes it: type, timestamp, data."""
    return json.dumps(
        {"type": event.type, "timestamp": event.created_at.isoformat(), "data": event.data},
        ensure_ascii=False,
        separators=(",", ":"),
    )


# Delivery --------------------------------------------------------------------------------------


def claim_next(*, now: datetime | None = None) -> WebhookEvent | None:
    """Take one due event for delivery, for the lease. Due: pending, its time come, not held by
    another worker, no earlier pending event for the same (provider, line), no delivery to
    the same provider in flight (a slow provider holds up only itself), and the provider's
    endpoint not disabled (_track_health)."""
    now = now or timezone.now()
    earlier_pending = WebhookEvent.objects.filter(
        provider=OuterRef("provider"),
        line=OuterRef("line"),
        state=State.PENDING,
        pk__lt=OuterRef("pk"),
    )
    provider_busy = WebhookEvent.objects.filter(
        provider=OuterRef("provider"), state=State.PENDING, claimed_until__gt=now
    )
    disabled = Endpoint.objects.filter(provider=OuterRef("provider"), disabled_at__isnull=False)
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(state=State.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .exclude(Exists(earlier_pending))
            .exclude(Exists(provider_busy))
            .exclude(Exists(disabled))
            .order_by("next_attempt_at", "id")
            .first()
        )
        if event is None:
            return None
        # Conditional, so that where rows are not locked (SQLite) only one claimant wins.
        claimed = WebhookEvent.objects.filter(
            pk=event.pk, state=State.PENDING, claimed_until=event.claimed_until
        ).update(claimed_until=now + _lease(), attempts=F("attempts") + 1)
    if not claimed:
        return None
    event.refresh_from_db()
    return event


def deliver(event: WebhookEvent) -> DeliveryAttempt:
    """POST a claimed event once and record the attempt: delivered on a 2xx, else retried on
    the schedule, or failed once the schedule is used up."""
    import http.client  # here, as the rest of the sending: a web worker loads it only for a test

    sent_at = timezone.now()
    started = time.monotonic()
    status, error, body = None, "", b""
    endpoint = Endpoint.objects.filter(provider_id=event.provider_id).first()
    if endpoint is None:
        error = "通知先URLが登録されていません。"
    else:
        try:
            status, body = post(endpoint.url, event, signing_secrets(endpoint, now=sent_at))
        except UnsafeURL as exc:
            error = str(exc)
        except (TimeoutError, DeadlinePassed):
            error = "タイムアウトしました。"
        except (OSError, http.client.HTTPException) as exc:
            error = f"接続できませんでした: {_reason(exc)}"
    latency_ms = round((time.monotonic() - started) * 1000)
    attempt = _record(
        event,
        status=status,
        error=error,
        at=sent_at,
        latency_ms=latency_ms,
        response_body=_body_text(body),
    )
    if endpoint is not None:
        _track_health(endpoint, attempt)
    return attempt


class DeadlinePassed(Exception):
    """The attempt ran out of WSO_WEBHOOK_TIMEOUT and its connection was cut."""


def post(url: str, event: WebhookEvent, signing_keys: list[str]) -> tuple[int, bytes]:
    """Send the event to the URL's checked address (the name is not looked up a second time,
    so it cannot be re-pointed between check and connect); redirects are not followed.

    WSO_WEBHOOK_TIMEOUT bounds the whole attempt, from connect to the last byte read: a read
    timeout alone restarts with every byte, so a receiver that trickles its answer could hold
    the delivery past its lease. At the deadline the socket is shut down under the reader.
    Returns the status and the first RESPONSE_BODY_KEPT bytes of the answer's body.
    """
    import http.client

    scheme, host, port, addresses = check_url(url)
    body = event_body(event)
    timestamp = datetime.now(UTC)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "WSO-Webhooks/1",
        "Host": host if port in (80, 443) else f"{host}:{port}",
        "webhook-id": event.webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(
            Webhook(key).sign(event.webhook_id, timestamp, body) for key in signing_keys
        ),
    }
    target = urlsplit(url)
    path = (target.path or "/") + (f"?{target.query}" if target.query else "")
    deadline = time.monotonic() + settings.WSO_WEBHOOK_TIMEOUT
    sock = socket.create_connection(
        (addresses[0], port),
        timeout=min(settings.WSO_WEBHOOK_CONNECT_TIMEOUT, settings.WSO_WEBHOOK_TIMEOUT),
    )
    with _cut_off_at(deadline, sock) as passed:
        try:
            if scheme == "https":
                sock = _tls().wrap_socket(sock, server_hostname=host)
            exchange = http.client.HTTPConnection(host, port)
            exchange.sock = sock
            exchange.request("POST", path, body=body.encode(), headers=headers)
            response = exchange.getresponse()
            return response.status, response.read(RESPONSE_BODY_KEPT)
        except (OSError, http.client.HTTPException) as exc:
            if passed.is_set():
                raise DeadlinePassed from exc
            raise
        finally:
            sock.close()


@contextmanager
def _cut_off_at(deadline: float, sock: socket.socket):
    """Shut the socket down at the deadline, whatever is reading or writing it then; the
    event it yields is set once that happened. Each blocking call also times out by itself."""
    sock.settimeout(max(deadline - time.monotonic(), 0.001))
    twin = sock.dup()  # survives the TLS wrapping, which detaches `sock`; same connection
    passed = threading.Event()

    def cut():
        passed.set()
        with suppress(OSError):
            twin.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(max(deadline - time.monotonic(), 0), cut)
    timer.daemon = True
    timer.start()
    try:
        yield passed
    finally:
        timer.cancel()
        twin.close()


@cache
def _tls():
    import ssl

    return ssl.create_default_context()


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]


def _body_text(body: bytes) -> str:
    # A NUL cannot be stored in a PostgreSQL text column; a character cut at 1 KiB is replaced.
    return body.decode("utf-8", "replace").replace("\x00", "\ufffd")


def _record(
    event: WebhookEvent,
    *,
    status: int | None,
    error: str,
    at: datetime,
    latency_ms: int,
    response_body: str = "",
) -> DeliveryAttempt:
    delivered = status is not None and 200 <= status < 300
    if status is not None and not delivered:
        error = f"HTTP {status}"
    with transaction.atomic():
        attempt = DeliveryAttempt.objects.create(
            event=event,
            at=at,
            status_code=status,
            latency_ms=latency_ms,
            error=error,
            response_body=response_body,
        )
        event.claimed_until = None
        if delivered:
            event.state = State.DELIVERED
            event.delivered_at = timezone.now()
            event.last_error = ""
        else:
            event.last_error = error[:MAX_ERROR_LENGTH]
            delay = retry_delay(event.attempts)
            if delay is None:
                event.state = State.FAILED
                logger.error(
                    "即時通知 %s: %d回送信できず打ち切り (%s)", event, event.attempts, error
                )
            else:
                event.next_attempt_at = timezone.now() + delay
                logger.warning(
                    "即時通知 %s: %d回目の送信失敗、%d秒後に再送 (%s)",
                    event,
                    event.attempts,
                    delay.total_seconds(),
                    error,
                )
        event.save(
            update_fields=[
                "claimed_until",
                "state",
                "delivered_at",
                "last_error",
                "next_attempt_at",
            ]
        )
    result = "delivered" if delivered else "failed" if event.state == State.FAILED else "retry"
    metrics.WEBHOOKS.labels(result).inc()
    if delivered:
        logger.info("即時通知 %s: 送信 (%s, %dミリ秒)", event, status, latency_ms)
    return attempt


def _track_health(endpoint: Endpoint, attempt: DeliveryAttempt) -> None:
    """A success ends a run of failures. A failure starts one, is told at most once a day
    (endpoint_failing: the provider's users and the operators are mailed), and disables the
    endpoint once every attempt has failed for DISABLE_AFTER."""
    rows = Endpoint.objects.filter(pk=endpoint.pk)
    if attempt.succeeded:
        rows.filter(failing_since__isnull=False).update(failing_since=None)
        return
    today = timezone.localdate(attempt.at)
    with transaction.atomic():
        current = rows.select_for_update().first()
        if current is None or current.disabled_at is not None:
            return
        current.failing_since = current.failing_since or attempt.at
        first_today = current.failure_mailed_on != today
        disabled = attempt.at - current.failing_since >= DISABLE_AFTER
        if first_today:
            current.failure_mailed_on = today
        if disabled:
            current.disabled_at = timezone.now()
            logger.error("通知先URL %s: %s から送信できず停止", current, current.failing_since)
        current.save(update_fields=["failing_since", "failure_mailed_on", "disabled_at"])
    if first_today or disabled:
        endpoint_failing.send(sender=Endpoint, endpoint=current, attempt=attempt, disabled=disabled)


def resume_endpoint(endpoint: Endpoint, *, now: datetime | None = None) -> int:
    """再開: send to a disabled endpoint again, starting with what is pending (at once, in the
    order per line claim_next keeps). Returns how many events are pending."""
    now = now or timezone.now()
    with transaction.atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(
            disabled_at=None, failing_since=None, failure_mailed_on=None
        )
        pending = WebhookEvent.objects.filter(
            provider_id=endpoint.provider_id, state=State.PENDING
        ).update(next_attempt_at=now, claimed_until=None)
    endpoint.refresh_from_db()
    return pending


def _lease() -> timedelta:
    """How long a claimed event is held: longer than any one POST may take."""
    return timedelta(seconds=settings.WSO_WEBHOOK_LEASE_SECONDS)


def retry_delay(attempts: int) -> timedelta | None:
    """The wait after the attempts made so far failed, with ±20% jitter so that retries to one
    provider do not arrive in step; None once the schedule is used up."""
    schedule = settings.WSO_WEBHOOK_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    return timedelta(seconds=schedule[attempts - 1] * random.uniform(0.8, 1.2))


def deliver_due(*, should_stop=lambda: False, now: datetime | None = None) -> int:
    """Claim and deliver due events one after another until none is left."""
    delivered = 0
    while not should_stop():
        event = claim_next(now=now)
        if event is None:
            break
        deliver(event)
        delivered += 1
    return delivered


def run_due_deliveries(*, should_stop=lambda: False) -> int:
    """The worker's deliveries: up to WSO_WEBHOOK_CONCURRENCY at once, the next due event taken
    as soon as a deliverer is free, so that a slow provider holds up only its own events
    (claim_next gives out no second event of a provider with one in flight). Returns once
    nothing is due and nothing is in flight. On SQLite, which writes one at a time: one."""
    workers = 1 if connection.vendor == "sqlite" else settings.WSO_WEBHOOK_CONCURRENCY
    if workers == 1:
        return deliver_due(should_stop=should_stop)
    delivered, in_flight = 0, set()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhooks") as pool:
        while True:
            while len(in_flight) < workers and not should_stop():
                event = claim_next()
                if event is None:
                    break
                in_flight.add(pool.submit(_deliver_on_own_connection, event))
            if not in_flight:
                return delivered
            # Woken by a deliverer coming free, or to look for events that became due meanwhile.
            done, in_flight = wait(in_flight, timeout=RECHECK_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()
                delivered += 1


def _deliver_on_own_connection(event: WebhookEvent) -> DeliveryAttempt:
    try:
        return deliver(event)
    finally:
        connection.close()


# Retention -------------------------------------------------------------------------------------


def purge_events(*, now: datetime | None = None, batch_size: int = 10_000) -> tuple[int, int]:
    """Delete delivered and failed events (with their attempts) past the disclosure log's
    retention, except each (provider, line)'s latest enabled one: it is how a later disable
    knows that the provider had the お客様ID. Returns the events and the attempts deleted."""
    later = WebhookEvent.objects.filter(
        provider=OuterRef("provider"), line=OuterRef("line"), pk__gt=OuterRef("pk")
    )
    old = WebhookEvent.objects.filter(
        state__in=[State.DELIVERED, State.FAILED], created_at__lt=retention_start(now)
    ).exclude(Q(type=Type.ENABLED) & ~Exists(later))
    deleted = delete_in_batches(old, batch_size=batch_size)
    return deleted[WebhookEvent._meta.label], deleted[DeliveryAttempt._meta.label]


# Operators -------------------------------------------------------------------------------------


def redeliver(event: WebhookEvent, *, now: datetime | None = None) -> None:
    """再送: send again at the next round, whatever happened before; attempts are kept."""
    now = now or timezone.now()
    WebhookEvent.objects.filter(pk=event.pk).update(
        state=State.PENDING, next_attempt_at=now, claimed_until=None
    )


def send_test(endpoint: Endpoint, *, now: datetime | None = None) -> DeliveryAttempt:
    """テスト送信: a `test` event, delivered at once while the operator waits (one attempt)."""
    now = now or timezone.now()
    event = WebhookEvent.objects.create(
        provider=endpoint.provider,
        type=Type.TEST,
        webhook_id=_webhook_id(),
        data={"provider_code": endpoint.provider.code, "message": "テスト送信"},
        created_at=now,
        next_attempt_at=now,
        attempts=1,
        claimed_until=now + _lease(),
        state=State.PENDING,
    )
    attempt = deliver(event)
    if not attempt.succeeded:
        WebhookEvent.objects.filter(pk=event.pk).update(state=State.FAILED)
    return attempt
