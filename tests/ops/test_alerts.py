"""deploy/prometheus/alerts.yml: the four rules, on names the portal exports."""

import re
import shutil
import subprocess

import pytest
import yaml

from tests.processes import BASE_DIR

RULES = BASE_DIR / "deploy" / "prometheus" / "alerts.yml"
EXPORTED = {
    "wso_applications_oldest_due_age_seconds",
    "wso_webhook_oldest_pending_age_seconds",
    "wso_worker_heartbeat_timestamp_seconds",
    "wso_http_requests_total",
}


def rules() -> dict[str, dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def test_it_has_the_four_alerts_on_the_right_thresholds():
    found = rules()
    assert set(found) == {
        "WsoWorkBacklog",
        "WsoWebhookPending",
        "WsoNoWorkerHeartbeat",
        "WsoServerErrors",
    }
    assert "> 600" in found["WsoWorkBacklog"]["expr"]
    assert "> 3600" in found["WsoWebhookPending"]["expr"]
    assert "> 120" in found["WsoNoWorkerHeartbeat"]["expr"]
    assert 'status=~"5.."' in found["WsoServerErrors"]["expr"]
    assert "> 0.01" in found["WsoServerErrors"]["expr"]


def test_every_alert_reads_a_name_the_portal_exports_and_links_its_runbook():
    guide = (BASE_DIR / "docs" / "operations.md").read_text()
    for name, rule in rules().items():
        names = set(re.findall(r"\bwso_\w+", rule["expr"]))
        assert names and names <= EXPORTED, name
        assert rule["annotations"]["runbook"].startswith("docs/operations.md#"), name
        assert name in guide


@pytest.mark.skipif(
    not shutil.which("promtool"), reason="promtool missing (apt-get install prometheus)"
)
def test_promtool_accepts_them():
    result = subprocess.run(
        ["promtool", "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
