"""`make bench-scale`: the disclosure log at NTT West's scale, measured in one run.

On make bench's data set (1,000,000 lines, PostgreSQL), the look-ups are measured with the log
empty, then the log is filled in SQL with 100,000,000 disclosures over 36 monthly partitions
(one heavy line holding 1,000,000 of them), rolled up, vacuumed, and measured again: the
look-ups, 提供履歴 of the heavy line and of a light one (10 disclosures), `manage.py purge`
dropping one month, and the bytes a disclosure takes. The log is emptied again at the end
(BENCH_SCALE_KEEP=1 keeps it: a second run then skips the fill, about 20 minutes).

    make bench-scale                        # the whole run, about 40 minutes
    BENCH_SCALE_ROWS=10000000 make bench-scale   # a tenth, to try it out
"""

import json
import os
import signal
import statistics
import time
from datetime import UTC, datetime

from run import (
    BASELINE_DB,
    BASELINE_PORT,
    OUT,
    PORTAL_DB,
    PORTAL_ENV,
    PORTAL_PORT,
    RUNS,
    Portal,
    Request,
    Target,
    api_requests,
    cookie_header,
    manage,
    measure,
    prepare_baseline,
    prepare_portal_database,
    prepare_serving,
    psql,
    serve,
)

ROWS = int(os.environ.get("BENCH_SCALE_ROWS", 100_000_000))
MONTHS = 36
HEAVY_ROWS = ROWS // 100  # 1,000,000 of 100,000,000
LIGHT_ROWS = 10
KEEP = os.environ.get("BENCH_SCALE_KEEP") == "1"
LOG = "providers_disclosure"


def shell(code: str) -> str:
    return manage("shell", "-v", "0", "-c", code, env=PORTAL_ENV)


def months_back() -> list[str]:
    """The first days of the last MONTHS months, oldest first, as partitions.py counts them."""
    out = shell(
        "from providers import partitions as p; from django.utils import timezone;"
        "m = p.month_of(timezone.now());"
        f"print(' '.join(str(p.add_months(m, -n)) for n in range({MONTHS - 1}, -1, -1)))"
    )
    return out.split()


# The log ---------------------------------------------------------------------------------------


def empty_log() -> None:
    psql(PORTAL_DB, f"TRUNCATE {LOG}, providers_disclosuremonth, providers_disclosurerollup")


def log_rows() -> int:
    return int(psql(PORTAL_DB, f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{LOG}'"))


def lines_for_history() -> tuple[str, str]:
    """Two generated lines with a 通知する provider: the heavy one and the light one."""
    rows = psql(
        PORTAL_DB,
        "SELECT l.flets_number FROM wso_portal_subscriberline l JOIN"
        " notification_notificationsetting s ON s.line_id = l.id AND s.notify"
        # Clear of the first lines (make bench's sessions) and the last (the look-ups' lines).
        " WHERE l.flets_number LIKE '09%' GROUP BY l.id ORDER BY l.id DESC OFFSET 1000 LIMIT 2",
    ).split()
    return rows[0], rows[1]


def fill(heavy: str, light: str) -> float:
    """ROWS disclosures over MONTHS months, spread over every line's first 通知する provider,
    plus the heavy line's and the light line's; returns the seconds it took."""
    started = time.monotonic()
    months = months_back()
    shell(
        "from datetime import date; from providers import partitions;"
        f"partitions.ensure(months=[date.fromisoformat(m) for m in {months!r}])"
    )
    # The providers' keys the rows name (revoked: only the foreign key needs them).
    psql(
        PORTAL_DB,
        "INSERT INTO providers_providerkey (provider_id, display_prefix, hashed_key, created_at,"
        " revoked_at) SELECT p.id, 'wso_scale', md5('a' || p.id) || md5('b' || p.id), now(),"
        " now() FROM notification_serviceprovider p WHERE NOT EXISTS (SELECT 1 FROM"
        " providers_providerkey k WHERE k.provider_id = p.id)",
    )
    pairs = """
        CREATE UNLOGGED TABLE IF NOT EXISTS bench_scale_pairs AS
        SELECT row_number() OVER (ORDER BY s.line_id) AS n, s.line_id, s.provider_id,
            (SELECT k.id FROM providers_providerkey k WHERE k.provider_id = s.provider_id
             ORDER BY k.id LIMIT 1) AS key_id, s.application_id
        FROM (SELECT DISTINCT ON (line_id) line_id, provider_id, application_id
              FROM notification_notificationsetting WHERE notify
              ORDER BY line_id, provider_id) s
    """
    psql(PORTAL_DB, pairs)
    count = int(psql(PORTAL_DB, "SELECT count(*) FROM bench_scale_pairs"))
    per_month = (ROWS - HEAVY_ROWS - LIGHT_ROWS) // MONTHS
    heavy_per_month = HEAVY_ROWS // MONTHS
    heavy_id = line_id(heavy)
    for index, month in enumerate(months):
        # Spread over the month's seconds by a multiplier prime to them; foreign keys unchecked
        # (they hold by construction): the load is what is timed, not the checks.
        for rows, where, stride in [
            (per_month, f"p.n = (g % {count}) + 1", 7919),
            (heavy_per_month, f"p.line_id = {heavy_id}", 104729),
        ]:
            psql(
                PORTAL_DB,
                f"""
                SET session_replication_role = replica;
                INSERT INTO {LOG} (line_id, provider_id, key_id, address, at, application_id)
                SELECT p.line_id, p.provider_id, p.key_id, '2001:db8::1'::inet,
                    m.start + ((g::bigint * {stride}) % m.seconds) * interval '1 second',
                    p.application_id
                FROM generate_series(1, {rows}) g
                JOIN bench_scale_pairs p ON {where}
                CROSS JOIN (SELECT '{month}'::timestamp AT TIME ZONE 'Asia/Tokyo' AS start,
                    extract(epoch FROM ('{month}'::date + interval '1 month') - '{month}'::date)
                    ::bigint AS seconds) m
                WHERE m.start + ((g::bigint * {stride}) % m.seconds) * interval '1 second'
                    < now() - interval '1 hour'
                ORDER BY p.line_id, p.provider_id  -- the largest index then fills in order
                """,
            )
        print(f"bench-scale: month {index + 1}/{MONTHS} filled ({month})", flush=True)
    psql(
        PORTAL_DB,
        f"""
        SET session_replication_role = replica;
        INSERT INTO {LOG} (line_id, provider_id, key_id, address, at, application_id)
        SELECT p.line_id, p.provider_id, p.key_id, '2001:db8::1'::inet,
            now() - interval '2 hours' - g * interval '9 days', p.application_id
        FROM generate_series(1, {LIGHT_ROWS}) g JOIN bench_scale_pairs p
        ON p.line_id = {line_id(light)}
        """,
    )
    print("bench-scale: rolling the log up and vacuuming it", flush=True)
    shell("from providers.rollups import roll_up; roll_up()")
    psql(PORTAL_DB, f"VACUUM (ANALYZE) {LOG}")
    psql(PORTAL_DB, "VACUUM (ANALYZE) providers_disclosuremonth")
    return time.monotonic() - started


def line_id(flets_number: str) -> int:
    return int(
        psql(
            PORTAL_DB,
            f"SELECT id FROM wso_portal_subscriberline WHERE flets_number = '{flets_number}'",
        )
    )


def sizes() -> dict:
    """Bytes of the log's partitions: the table and its indexes, and per disclosure."""
    row = psql(
        PORTAL_DB,
        f"""SELECT sum(pg_relation_size(inhrelid)), sum(pg_indexes_size(inhrelid)),
            (SELECT count(*) FROM {LOG}) FROM pg_inherits WHERE inhparent = '{LOG}'::regclass""",
    ).split("|")
    table, indexes, rows = (int(value) for value in row)
    return {
        "rows": rows,
        "table_bytes": table,
        "index_bytes": indexes,
        "bytes_per_row": round((table + indexes) / max(rows, 1), 1),
        "table_bytes_per_row": round(table / max(rows, 1), 1),
        "index_bytes_per_row": round(indexes / max(rows, 1), 1),
    }


def purge_one_month() -> dict:
    """`manage.py purge` with the retention set so that exactly the oldest month is past it."""
    months = months_back()
    second = datetime.fromisoformat(months[1]).replace(tzinfo=UTC)
    days = (datetime.now(UTC) - second).days  # lands inside the second month
    before = sizes()
    started = time.monotonic()
    output = manage("purge", env={**PORTAL_ENV, "WSO_DISCLOSURE_RETENTION_DAYS": str(days)})
    seconds = time.monotonic() - started
    after = sizes()
    return {
        "seconds": round(seconds, 2),
        "output": output.strip().splitlines(),
        "rows_before": before["rows"],
        "rows_after": after["rows"],
        "bytes_before": before["table_bytes"] + before["index_bytes"],
        "bytes_after": after["table_bytes"] + after["index_bytes"],
    }


# Measurements ----------------------------------------------------------------------------------


def measure_targets(targets: list[Target], servers: dict, label: str) -> None:
    by_name = {t.name: t for t in targets}
    for number in range(1, RUNS + 1):
        for target in targets:
            for floor in [by_name[name] for name in target.floors]:
                pair = measure(floor, servers), measure(target, servers)
                floor.runs.append(pair[0])
                target.runs.append(pair[1])
                target.pairs.setdefault(floor.name, []).append(pair)
            if not target.floors:
                target.runs.append(measure(target, servers))
        print(f"bench-scale: {label}, round {number}/{RUNS} done", flush=True)


def look_up_targets(lookup_1, lookup_100, baseline_keys) -> list[Target]:
    floor = [Request("/session/", cookie=f"sessionid={key}") for key in baseline_keys]
    write = [Request("/write/", cookie=f"sessionid={key}") for key in baseline_keys]
    return [
        Target("floor: session", BASELINE_PORT, floor),
        Target("floor: write", BASELINE_PORT, write),
        Target(
            "look-up ×1",
            PORTAL_PORT,
            [lookup_1],
            addresses=1,
            floors=("floor: write", "floor: session"),
        ),
        Target("look-up ×100", PORTAL_PORT, [lookup_100], addresses=100, floors=("look-up ×1",)),
    ]


def history_targets(portal: Portal, heavy: str, light: str) -> list[Target]:
    def session(number: str) -> str:
        return cookie_header(portal.log_in(number))

    heavy_cookie, light_cookie = session(heavy), session(light)
    code = psql(
        PORTAL_DB,
        "SELECT p.code FROM bench_scale_pairs s JOIN notification_serviceprovider p"
        f" ON p.id = s.provider_id WHERE s.line_id = {line_id(heavy)}",
    ).strip()
    light_code = psql(
        PORTAL_DB,
        "SELECT p.code FROM bench_scale_pairs s JOIN notification_serviceprovider p"
        f" ON p.id = s.provider_id WHERE s.line_id = {line_id(light)}",
    ).strip()
    return [
        Target("提供履歴 light", PORTAL_PORT, [Request("/disclosures/", cookie=light_cookie)]),
        Target(
            "提供履歴 heavy",
            PORTAL_PORT,
            [Request("/disclosures/", cookie=heavy_cookie)],
            floors=("提供履歴 light",),
        ),
        Target(
            "提供履歴 dated light",
            PORTAL_PORT,
            [Request(f"/disclosures/providers/{light_code}/", cookie=light_cookie)],
        ),
        Target(
            "提供履歴 dated heavy",
            PORTAL_PORT,
            [Request(f"/disclosures/providers/{code}/", cookie=heavy_cookie)],
            floors=("提供履歴 dated light",),
        ),
    ]


def paired(target: Target, floor: Target, key: str, scale: float = 1) -> float:
    return statistics.median(
        scale * mine[key] / theirs[key] for theirs, mine in target.pairs[floor.name]
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    prepare_portal_database()
    baseline_keys = prepare_baseline()
    prepare_serving()
    heavy, light = lines_for_history()
    already_full = KEEP and log_rows() >= ROWS * 0.99
    if not already_full:
        empty_log()
        psql(PORTAL_DB, "DROP TABLE IF EXISTS bench_scale_pairs")
    servers = {
        PORTAL_PORT: serve("wso_portal.wsgi:application", PORTAL_PORT, PORTAL_ENV),
        BASELINE_PORT: serve(
            "bench.baseline.wsgi:application", BASELINE_PORT, {"BASELINE_DB": BASELINE_DB}
        ),
    }
    results = {"rows": ROWS, "months": MONTHS}
    try:
        lookup_1, lookup_100 = api_requests()
        if not already_full:
            empty = look_up_targets(lookup_1, lookup_100, baseline_keys)
            measure_targets(empty, servers, "look-ups, log empty")
            results["empty"] = summarise(empty)
            print(f"bench-scale: filling the log with {ROWS:,} disclosures", flush=True)
            results["fill_seconds"] = round(fill(heavy, light), 1)
        full = look_up_targets(lookup_1, lookup_100, baseline_keys)
        measure_targets(full, servers, "look-ups, log full")
        results["full"] = summarise(full)
        history = history_targets(Portal(), heavy, light)
        measure_targets(history, servers, "提供履歴")
        results["history"] = {t.name: round(t.median("p50_ms"), 2) for t in history}
        by_name = {t.name: t for t in history}
        results["history_p50_heavy_over_light"] = round(
            paired(by_name["提供履歴 heavy"], by_name["提供履歴 light"], "p50_ms"), 2
        )
        results["dated_p50_heavy_over_light"] = round(
            paired(by_name["提供履歴 dated heavy"], by_name["提供履歴 dated light"], "p50_ms"), 2
        )
        results["sizes"] = sizes()
    finally:
        for server in servers.values():
            server.send_signal(signal.SIGTERM)
            server.wait(30)
    results["purge"] = purge_one_month()
    if not KEEP:
        empty_log()
        psql(PORTAL_DB, "DROP TABLE IF EXISTS bench_scale_pairs")
    report(results)


def summarise(targets: list[Target]) -> dict:
    by_name = {t.name: t for t in targets}
    one, hundred = by_name["look-up ×1"], by_name["look-up ×100"]
    return {
        "look-up ×1 / write": round(paired(one, by_name["floor: write"], "rps"), 2),
        "look-up ×1 / session": round(paired(one, by_name["floor: session"], "rps"), 2),
        "look-up ×1 p99 / write": round(paired(one, by_name["floor: write"], "p99_ms"), 2),
        "look-up ×100 addresses/s / ×1": round(paired(hundred, one, "rps", 100), 1),
        "look-up ×1 req/s": round(one.median("rps"), 1),
    }


def report(results: dict) -> None:
    (OUT / "scale.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    empty, full = results.get("empty"), results["full"]
    print(f"\nmake bench-scale: {results['rows']:,} disclosures over {MONTHS} months")
    print("| measure | log empty | log full | target | ok |")
    print("| --- | --- | --- | --- | --- |")
    checks = []
    for name, value in full.items():
        before = empty[name] if empty else ""
        if name == "look-up ×1 req/s":
            target, ok = "", ""
        elif name == "look-up ×1 p99 / write":
            target, ok = "≤ 1.5×", value <= 1.5
        else:
            target, ok = "within 10% of empty", not empty or abs(value - before) <= 0.1 * before
        if ok != "":
            checks.append(ok)
            ok = "yes" if ok else "NO"
        print(f"| {name} | {before} | {value} | {target} | {ok} |")
    heavy = results["history_p50_heavy_over_light"]
    dated = results["dated_p50_heavy_over_light"]
    purge = results["purge"]
    fell = purge["bytes_before"] - purge["bytes_after"]
    rows = [
        ("提供履歴 p50, heavy ÷ light", heavy, "≤ 1.5×", heavy <= 1.5),
        ("提供履歴 dated p50, heavy ÷ light", dated, "≤ 1.5×", dated <= 1.5),
        ("purge of one month, s", purge["seconds"], "< 5 s", purge["seconds"] < 5),
        ("rows dropped", purge["rows_before"] - purge["rows_after"], "", True),
        ("bytes the log fell by", fell, "> 0", fell > 0),
    ]
    for name, value, target, ok in rows:
        print(f"| {name} | | {value} | {target} | {'yes' if ok else 'NO'} |")
        checks.append(ok)
    size = results["sizes"]
    print(
        f"\nbytes per disclosure: {size['bytes_per_row']} ({size['table_bytes_per_row']} table,"
        f" {size['index_bytes_per_row']} indexes); {size['rows']:,} rows,"
        f" {size['table_bytes'] / 2**30:.1f} GiB table + {size['index_bytes'] / 2**30:.1f} GiB"
        f" indexes; fill {results.get('fill_seconds', '-')} s"
    )
    print(f"saved: {OUT / 'scale.json'}")
    if not all(checks):
        print("bench-scale: some targets are not met (ok = NO)")


if __name__ == "__main__":
    main()
