"""gunicorn's settings for every way the portal is served: scripts/start-web (and so the image)
and make bench name it; gunicorn started by hand in this directory reads it too.

gunicorn takes nothing from forwarded headers. It would set the scheme itself from
X-Forwarded-Proto, X-Forwarded-Ssl or X-Forwarded-Protocol sent by any peer in its own allow list,
which TrustedProxyMiddleware never sees: a client on that list could then pass for HTTPS. Which
peers are our proxies is WSO_TRUSTED_PROXIES alone, applied by the middleware.
"""

import os
import shutil
import tempfile
from pathlib import Path

from gunicorn.glogging import Logger

forwarded_allow_ips = ""
secure_scheme_headers = {}
# SCRIPT_NAME and PATH_INFO as headers, which gunicorn takes from the same peers.
forwarder_headers = ""

# Prometheus' counts (ops/metrics.py): each worker process writes its own files here and
# /metrics adds them up. Set before a worker imports prometheus_client, which reads it then.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="wso-metrics-")
    _own_metrics_dir = True
else:
    _own_metrics_dir = False


def on_starting(server):
    """A previous run's counts would otherwise be added to this one's."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


class QuietAccessLogger(Logger):
    """The access log without the probes: a load balancer and Prometheus poll these paths
    every few seconds."""

    QUIET = frozenset({"/healthz", "/readyz", "/metrics"})

    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO") not in self.QUIET:
            super().access(resp, req, environ, request_time)


logger_class = QuietAccessLogger
