"""Who can reach a run's Dask cluster: TLS with per-run certificates, loopback-only HTTP.

- Every HTTP server of a run (the scheduler's dashboard and metrics, the workers' metrics)
  listens on 127.0.0.1 only; with ``parallel.dashboard=false`` (the default) the scheduler
  serves no dashboard and no info pages at all, only ``/health``.
- ``parallel.security=tls`` (the default for dask-jobqueue clusters, whose scheduler must
  listen on the cluster network) creates a throw-away CA and certificates for this run
  (``distributed.security.Security.temporary()``). The driver keeps them in memory; the
  worker jobs read them from files created ``0600`` (dask-jobqueue's temp files) in a
  ``0700`` directory under the job log directory, removed when the cluster closes. A client
  without a certificate signed by the run's CA is refused.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from espnet3_prep.storage.private import private_dir

log = logging.getLogger(__name__)

LOOPBACK_HTTP = "127.0.0.1:0"
"""Where every HTTP server of a run listens: this host's loopback, any free port."""
HEALTH_ONLY = ["distributed.http.health"]
"""The scheduler's HTTP routes without a dashboard: a liveness probe, nothing to read."""
WORKER_HTTP_ARGS = ["--dashboard-address", LOOPBACK_HTTP, "--no-dashboard"]
"""``dask worker`` flags: no worker dashboard, metrics on loopback (the CLI's default is
``:0``, every interface)."""
TLS_DIR = "tls"


def http_config(dashboard: bool) -> dict[str, Any]:
    """Dask config for the scheduler's HTTP server: the full dashboard only on request."""
    if dashboard:
        return {}
    return {"distributed.scheduler.http.routes": list(HEALTH_ONLY)}


def scheduler_http_options(dashboard: bool) -> dict[str, Any]:
    """Scheduler keyword arguments: HTTP on loopback, the dashboard only on request."""
    return {"dashboard_address": LOOPBACK_HTTP, "dashboard": dashboard}


def temporary_security() -> Any:
    """A Security object with a fresh CA and certificates, required on every connection."""
    from distributed.security import Security

    return Security.temporary()


def jobqueue_security_kwargs(security: str, log_dir: Path) -> dict[str, Any]:
    """dask-jobqueue keyword arguments for ``parallel.security`` (none: nothing added)."""
    if security != "tls":
        return {}
    return {"security": temporary_security(), "protocol": "tls://",
            "shared_temp_directory": str(private_dir(log_dir / TLS_DIR))}


def local_security_kwargs(security: str) -> dict[str, Any]:
    """LocalCluster keyword arguments for ``parallel.security``."""
    if security != "tls":
        return {}
    return {"security": temporary_security(), "protocol": "tls://"}


def log_dashboard(cluster: Any) -> None:
    """Say where the dashboard is and how to reach it from another machine."""
    link = getattr(cluster, "dashboard_link", "")
    if not link:
        return
    port = urlparse(link).port or "PORT"
    log.warning("Dask dashboard (this host's loopback only): %s — from your laptop: "
                "ssh -N -L 8787:127.0.0.1:%s <this host>, then open "
                "http://localhost:8787/status", link, port)
