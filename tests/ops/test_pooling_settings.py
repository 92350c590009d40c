"""WSO_DB_TRANSACTION_POOLING: what the settings do with PgBouncer in transaction mode in front."""

import json
import os
import subprocess
import sys

from tests.processes import BASE_DIR

PRINT = (
    "import json; from wso_portal.settings import base as s; d = s.DATABASES['default'];"
    " print(json.dumps([d['OPTIONS'], d.get('DISABLE_SERVER_SIDE_CURSORS', False)]))"
)


def database_settings(**env_vars):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WSO_DB_")},
        "DATABASE_URL": "postgres://wso_app:secret@127.0.0.1:6432/wso",
        **env_vars,
    }
    result = subprocess.run(
        [sys.executable, "-c", PRINT], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_prepares_statements_on_a_direct_connection():
    options, no_server_cursors = database_settings()
    assert options == {"server_side_binding": True, "prepare_threshold": 5}
    assert not no_server_cursors


def test_it_prepares_nothing_and_opens_no_server_side_cursor_behind_a_transaction_pool():
    options, no_server_cursors = database_settings(WSO_DB_TRANSACTION_POOLING="1")
    assert options == {"server_side_binding": True, "prepare_threshold": None}
    assert no_server_cursors


def test_it_keeps_preparing_where_pgbouncer_keeps_prepared_statements():
    options, no_server_cursors = database_settings(
        WSO_DB_TRANSACTION_POOLING="1", WSO_DB_PREPARE="1"
    )
    assert options["prepare_threshold"] == 5
    assert no_server_cursors
