"""deploy/compose.yaml: the topology make prod-local proves (no Docker engine here to run it)."""

import yaml

from tests.processes import BASE_DIR

COMPOSE = yaml.safe_load((BASE_DIR / "deploy" / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]


def test_it_has_web_two_workers_postgresql_16_redis_and_pgbouncer():
    assert {"web", "worker-1", "worker-2", "postgres", "redis", "pgbouncer"} <= set(SERVICES)
    assert SERVICES["postgres"]["image"] == "postgres:16"
    for worker in ("worker-1", "worker-2"):
        assert SERVICES[worker]["command"] == ["python", "manage.py", "worker"]


def test_the_app_reaches_the_database_only_through_pgbouncer_in_transaction_mode():
    for name in ("web", "worker-1", "worker-2"):
        env = SERVICES[name]["environment"]
        assert "@pgbouncer:6432/" in env["DATABASE_URL"], name
        assert env["WSO_DB_TRANSACTION_POOLING"] == "1", name
    assert "pool_mode = transaction" in COMPOSE["configs"]["pgbouncer_ini"]["content"]
    assert "@postgres:5432/" in SERVICES["migrate"]["environment"]["DATABASE_URL"]


def test_the_web_is_healthy_when_readyz_says_so():
    assert "/readyz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    for name in ("postgres", "redis", "pgbouncer", "worker-1", "worker-2"):
        assert SERVICES[name]["healthcheck"]["test"], name
