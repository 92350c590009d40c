"""Providers' keys, the look-up of お客様ID by address, and the disclosure log's retention."""

import ipaddress
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from notification.models import NotificationSetting, ServiceProvider
from wso_portal.models import PREFIX_LENGTHS, SubscriberLine, address_key, candidate_keys
from wso_portal.statements import as_array, placeholders

from . import partitions
from .key_cache import CachedKey, live_keys
from .models import (
    KEY_DISPLAY_LENGTH,
    KEY_PREFIX,
    LIVE_KEYS_PER_PROVIDER,
    Disclosure,
    DisclosureDay,
    DisclosureMonth,
    ProviderKey,
    hash_key,
    new_key,
)

ACTIVE = SubscriberLine.Status.ACTIVE.value
# last_used_at is a hint for operators, not an audit: written at most once a minute per key.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_KEY_LENGTH = 100


class TooManyKeys(Exception):
    def __init__(self, provider: ServiceProvider):
        super().__init__(
            f"{provider.code} には有効なAPIキーが既に{LIVE_KEYS_PER_PROVIDER}つあります。"
            "新しいキーを発行する前に、古いキーを失効させてください。"
        )


# Keys ------------------------------------------------------------------------------------------


def create_key(provider: ServiceProvider) -> tuple[ProviderKey, str]:
    """A new key for the provider; the plain key is returned once and never stored."""
    with transaction.atomic():
        # The provider's row lock keeps two concurrent creations from passing the count together.
        ServiceProvider.objects.select_for_update().filter(pk=provider.pk).first()
        if ProviderKey.objects.live().filter(provider=provider).count() >= LIVE_KEYS_PER_PROVIDER:
            raise TooManyKeys(provider)
        plain = new_key()
        key = ProviderKey.objects.create(
            provider=provider,
            display_prefix=plain[:KEY_DISPLAY_LENGTH],
            hashed_key=hash_key(plain),
        )
    return key, plain


def revoke_key(key: ProviderKey, *, now: datetime | None = None) -> bool:
    """Revoke a key at once. False when it was already revoked."""
    now = now or timezone.now()
    revoked = ProviderKey.objects.live().filter(pk=key.pk).update(revoked_at=now)
    key.refresh_from_db(fields=["revoked_at", "hashed_key"])
    live_keys.drop(key.hashed_key)  # the other processes' copies expire within their bound
    return bool(revoked)


def authenticate(plain: str, *, now: datetime | None = None) -> ProviderKey | None:
    """The live key with this value, its provider's `active` loaded; None for anything else.

    A key found is kept in this process for WSO_API_KEY_CACHE_SECONDS (providers.key_cache). A
    key not found is not kept, so that a new one works at once; a wrong key costs one indexed
    query, as it did before the cache.
    """
    if not plain.startswith(KEY_PREFIX) or len(plain) > MAX_KEY_LENGTH:
        return None
    now = now or timezone.now()
    hashed = hash_key(plain)
    entry = live_keys.get(hashed, seconds=settings.WSO_API_KEY_CACHE_SECONDS)
    if entry is None:
        used_before = connection.ops.adapt_datetimefield_value(now - LAST_USED_RESOLUTION)
        with connection.cursor() as cursor:
            cursor.execute(LIVE_KEY_SQL, [used_before, hashed])
            row = cursor.fetchone()
        if row is None:
            return None
        key_id, provider_id, active, not_used_since = row
        # A row used within the minute was written by some process in it: not due yet here.
        used_at = now - LAST_USED_RESOLUTION if not_used_since else now
        entry = CachedKey(key_id, provider_id, bool(active), live_keys.clock(), used_at)
        if settings.WSO_API_KEY_CACHE_SECONDS > 0:
            live_keys.put(hashed, entry)
    if now - entry.used_at >= LAST_USED_RESOLUTION:
        ProviderKey.objects.filter(pk=entry.key_id).update(last_used_at=now)
        entry.used_at = now
    key = ProviderKey.from_db(
        connection.alias, ["id", "provider_id"], [entry.key_id, entry.provider_id]
    )
    key.provider = ServiceProvider.from_db(
        connection.alias, ["id", "active"], [entry.provider_id, entry.active]
    )
    return key


# The look-up -----------------------------------------------------------------------------------


# The API's hot path is three statements, written as SQL: the ORM takes 0.5-0.8 ms to build each
# of them, and PostgreSQL answers each in under 0.1 ms (make bench; docs/performance.md).
LIVE_KEY_SQL = f"""
    SELECT k.id, k.provider_id, p.active, (k.last_used_at IS NULL OR k.last_used_at <= %s)
    FROM {ProviderKey._meta.db_table} k
    JOIN {ServiceProvider._meta.db_table} p ON p.id = k.provider_id
    WHERE k.hashed_key = %s AND k.revoked_at IS NULL
"""
NOTIFYING_LINES_SQL = f"""
    SELECT l.id, l.customer_id, l.prefix_start, l.prefix_end, s.application_id
    FROM {NotificationSetting._meta.db_table} s
    JOIN {SubscriberLine._meta.db_table} l ON l.id = s.line_id
    WHERE s.provider_id = %s AND s.notify AND l.status = %s AND l.prefix_start {{starts}}
"""
DISCLOSURE_COLUMNS = "(line_id, provider_id, key_id, address, at, application_id)"
DISCLOSURES_SQL = f"""
    INSERT INTO {Disclosure._meta.db_table} {DISCLOSURE_COLUMNS} VALUES {{rows}}
"""
DISCLOSURE_ROW = "(%s, %s, %s, %s, %s, %s)"
# On PostgreSQL the look-up is one statement: the lines that hold the addresses and tell this
# provider, each answer's row logged by the same statement (a data-modifying WITH), so that a
# look-up waits on one round trip for both and no answer leaves without its row. `asked` is one
# row per address with its candidate prefixes (prefixes never overlap: one line at most holds
# an address). A small batch's rows are written out, each batch size one prepared statement; a
# large one's come as arrays (as_array), one text for any size.
STARTS = [f"s{length}" for length in PREFIX_LENGTHS]
ASKED_COLUMNS = f"n, address, position, {', '.join(STARTS)}"
ASKED_ROW = f"(%s::int, %s::inet, %s::text{', %s::text' * len(STARTS)})"
ASKED_ROWS = f"(VALUES {{rows}}) AS a({ASKED_COLUMNS})"
ASKED_ARRAYS = (
    f"unnest(%s::int[], %s::inet[]{', %s::text[]' * (1 + len(STARTS))}) AS a({ASKED_COLUMNS})"
)
LOOK_UP_AND_LOG_SQL = f"""
    WITH told AS (
        SELECT a.n, a.address, l.id AS line_id, l.customer_id, s.application_id
        FROM {{asked}}
        JOIN {SubscriberLine._meta.db_table} l
            ON l.prefix_start = ANY(ARRAY[{", ".join(f"a.{start}" for start in STARTS)}])
            AND a.position COLLATE "C" <= l.prefix_end COLLATE "C"
        JOIN {NotificationSetting._meta.db_table} s ON s.line_id = l.id
        WHERE s.provider_id = %s AND s.notify AND l.status = %s
    ), logged AS (
        INSERT INTO {Disclosure._meta.db_table} {DISCLOSURE_COLUMNS}
        SELECT DISTINCT line_id, %s::bigint, %s::bigint, address, %s::timestamptz, application_id
        FROM told
    )
    SELECT n, customer_id FROM told
"""


@dataclass(frozen=True)
class Answer:
    address: str  # as the provider sent it
    customer_id: str | None

    @property
    def notified(self) -> bool:
        return self.customer_id is not None


@dataclass(frozen=True)
class _NotifyingLine:
    line_id: int
    customer_id: str
    prefix_end: str
    application_id: int | None  # the consent the disclosure rests on


def lookups_tally(provider_id: int, day: date) -> str:
    """The name of the shared cache's count of a provider's look-up requests on a day (Asia/
    Tokyo), told or not: the rate's round trip adds each one (the log holds only the told)."""
    return f"lookups:{provider_id}:{day:%Y%m%d}"


class AskedAddress(str):
    """An address as the provider wrote it, and its value: the request's schema parses each
    address once (AskedAddress.parse), and the look-up takes that value instead of parsing the
    text again (1.3 ms of a 100-address look-up's 16.9, profiled)."""

    ip: ipaddress.IPv6Address

    @classmethod
    def parse(cls, text: str) -> "AskedAddress":
        asked = cls(text)
        asked.ip = ipaddress.IPv6Address(text)  # ValueError when it is not one
        return asked


def look_up(key: ProviderKey, addresses: list[str], *, now: datetime | None = None) -> list[Answer]:
    """Who is at each address, for the key's provider: the お客様ID only where an active line
    holds the address and its applied setting for this provider is 通知する.

    One statement reads the lines that notify this provider among the addresses' candidate
    prefixes and logs every disclosure (SQLite: one query, then one insert). Anything else
    answers the same "not notified", so a provider learns nothing about lines that did not
    allow it.
    """
    parsed = [a.ip if isinstance(a, AskedAddress) else ipaddress.IPv6Address(a) for a in addresses]
    candidates = [candidate_keys(address) for address in parsed]
    if connection.vendor == "postgresql":
        return _look_up_and_log(key, addresses, parsed, candidates, now or timezone.now())
    return _look_up_then_log(key, addresses, parsed, candidates, now or timezone.now())


def _look_up_then_log(key, texts, parsed, candidates, now: datetime) -> list[Answer]:
    """SQLite's look-up, which has no INSERT inside WITH: the lines, then one insert."""
    starts = list({start for keys in candidates for start in keys})
    with connection.cursor() as cursor:
        cursor.execute(
            NOTIFYING_LINES_SQL.format(starts=f"IN ({placeholders(starts)})"),
            [key.provider_id, ACTIVE, *starts],
        )
        notifying = {
            start: _NotifyingLine(line_id, customer_id, end, application_id)
            for line_id, customer_id, start, end, application_id in cursor.fetchall()
        }
    answers, disclosed = [], {}
    for text, address, keys in zip(texts, parsed, candidates, strict=True):
        line = _line_holding(address, keys, notifying)
        answers.append(Answer(text, line.customer_id if line else None))
        if line is not None:
            disclosed[(line.line_id, address)] = line.application_id
    if disclosed:
        _log_disclosures(key, disclosed, now)
    return answers


def _look_up_and_log(key, texts, parsed, candidates, now: datetime) -> list[Answer]:
    rows = [
        [n, stored_text(address), address_key(address), *keys]
        for n, (address, keys) in enumerate(zip(parsed, candidates, strict=True))
    ]
    at = Disclosure._meta.get_field("at").get_db_prep_save(now, connection)
    told = [key.provider_id, ACTIVE, key.provider_id, key.pk, at]
    if as_array(connection, len(rows) * len(rows[0]) + len(told)):
        asked = [list(column) for column in zip(*rows, strict=True)]
        sql = LOOK_UP_AND_LOG_SQL.format(asked=ASKED_ARRAYS)
    else:
        asked = [value for row in rows for value in row]
        sql = LOOK_UP_AND_LOG_SQL.format(
            asked=ASKED_ROWS.format(rows=", ".join([ASKED_ROW] * len(rows)))
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*asked, *told])
        answered = dict(cursor.fetchall())
    return [Answer(text, answered.get(n)) for n, text in enumerate(texts)]


def _log_disclosures(key: ProviderKey, disclosed, now: datetime) -> None:
    """One INSERT of every row, committed on its own (bulk_create would add BEGIN and COMMIT)."""
    at = Disclosure._meta.get_field("at").get_db_prep_save(now, connection)
    line_ids = [line_id for line_id, _ in disclosed]
    addresses = [stored_text(address) for _, address in disclosed]
    applications = list(disclosed.values())
    with connection.cursor() as cursor:
        values = []
        for line_id, address, application_id in zip(line_ids, addresses, applications, strict=True):
            values += [line_id, key.provider_id, key.pk, address, at, application_id]
        rows = ", ".join([DISCLOSURE_ROW] * len(line_ids))
        cursor.execute(DISCLOSURES_SQL.format(rows=rows), values)


def stored_text(address: ipaddress.IPv6Address) -> str:
    """The text the address field stores (django.utils.ipv6.clean_ipv6_address), worked out
    from the parsed address instead of parsing its text twice more."""
    mapped = address.ipv4_mapped
    return f"::ffff:{mapped}" if mapped else str(address)


def _line_holding(
    address: ipaddress.IPv6Address, keys: list[str], notifying: dict[str, _NotifyingLine]
) -> _NotifyingLine | None:
    """The notifying line, if any, whose prefix starts at one of `keys` (the address's
    candidate prefixes) and holds the address."""
    position = address_key(address)
    for start in keys:
        line = notifying.get(start)
        if line is not None and start <= position <= line.prefix_end:
            return line
    return None


# Retention -------------------------------------------------------------------------------------


def retention_start(now: datetime | None = None) -> datetime:
    """The oldest time the disclosure log keeps: the start of the month that holds the moment
    WSO_DISCLOSURE_RETENTION_DAYS ago. The log goes a whole month at a time, so it keeps at
    least that many days and at most a month more."""
    since = (now or timezone.now()) - timedelta(days=settings.WSO_DISCLOSURE_RETENTION_DAYS)
    return partitions.month_start(partitions.month_of(since))


def purge_disclosures(*, now: datetime | None = None, batch_size: int = 10_000) -> int:
    """Remove the disclosures, and their roll-ups, before the retention window: on PostgreSQL
    by dropping whole months, on SQLite by deleting rows a batch at a time. The per-provider
    days (one row a provider a day) are deleted on both."""
    start = retention_start(now)
    partitions.ensure(now=now)
    delete_in_batches(DisclosureDay.objects.filter(day__lt=start.date()), batch_size=batch_size)
    if partitions.is_partitioned(Disclosure._meta.db_table):
        return partitions.drop_before(start.date())[Disclosure._meta.db_table]
    delete_in_batches(DisclosureMonth.objects.filter(month__lt=start.date()), batch_size=batch_size)
    deleted = delete_in_batches(Disclosure.objects.filter(at__lt=start), batch_size=batch_size)
    return deleted[Disclosure._meta.label]


def delete_in_batches(queryset, *, batch_size: int = 10_000) -> Counter[str]:
    """Delete a queryset's rows a batch at a time, so that locks stay short beside live traffic.
    The rows deleted by model label ("providers.Disclosure"): the queryset's own, and those
    deleted with them (on_delete=CASCADE), each counted apart."""
    deleted: Counter[str] = Counter()
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted.update(queryset.model.objects.filter(pk__in=ids).delete()[1])
