"""Building Dask clusters: a LocalCluster of processes or a dask-jobqueue cluster."""

from __future__ import annotations

import logging
import os
import shlex
import socket
import subprocess
import uuid
from pathlib import Path
from typing import Any

from espnet3_prep.backends.dask_jobqueue_import import import_dask_jobqueue
from espnet3_prep.backends.defaults import DEFAULT_RUN_NAME, job_defaults
from espnet3_prep.backends.options import JOBQUEUE_CLASSES
from espnet3_prep.backends.security import (
    WORKER_HTTP_ARGS,
    http_config,
    jobqueue_security_kwargs,
    local_security_kwargs,
    log_dashboard,
    scheduler_http_options,
)
from espnet3_prep.storage.private import private_dir

log = logging.getLogger(__name__)


def build_cluster(config: dict[str, Any]) -> Any:
    """Start (but do not scale) the cluster described by a normalized parallel config."""
    import dask

    env = config["env"]
    options = dict(config.get("options") or {})
    dashboard = bool(config.get("dashboard", False))
    security = str(config.get("security") or ("tls" if env in JOBQUEUE_CLASSES else "none"))
    with dask.config.set(http_config(dashboard)):  # read when the scheduler starts
        if env == "local":
            cluster = _local_cluster(config["n_workers"], options, dashboard, security)
        elif env in JOBQUEUE_CLASSES:
            cluster = _jobqueue_cluster(env, options, config.get("name") or DEFAULT_RUN_NAME,
                                        dashboard, security)
        else:
            raise ValueError(f"no Dask cluster for parallel.env={env}")
    if dashboard:
        log_dashboard(cluster)
    return cluster


LOCAL_TICK = "1s"
"""Event-loop health tick of the local scheduler, nannies and workers (Dask: 20 ms).

The tick only measures how late the loop runs (for "event loop unresponsive" warnings);
at 20 ms the servers' loops wake 50 times a second, which costs the driver ~1.5% of a
core that the workers of a local cluster need. Used unless the dask config sets another.
"""


def _local_cluster(n_workers: int, options: dict[str, Any], dashboard: bool,
                   security: str) -> Any:
    import dask
    from distributed import LocalCluster

    kwargs: dict[str, Any] = {
        "n_workers": n_workers,
        "threads_per_worker": 1,
        "processes": True,
        "host": "127.0.0.1",  # scheduler, nannies and workers: this host only
        "silence_logs": logging.ERROR,
        "dashboard_address": scheduler_http_options(dashboard)["dashboard_address"],
        "scheduler_kwargs": {"dashboard": dashboard},
        **local_security_kwargs(security),
    }
    kwargs.update(options)
    if not kwargs["processes"] and "host" not in options:
        del kwargs["host"]  # threads in this process talk over inproc://, not TCP
        kwargs.setdefault("worker_dashboard_address", "127.0.0.1:0")  # their HTTP too
    with dask.config.set(local_dask_config()):  # nannies pass it on to the workers
        return LocalCluster(**kwargs)


def local_dask_config() -> dict[str, Any]:
    """Our local-cluster defaults for the settings the user's dask config leaves at Dask's.

    Besides the tick (:data:`LOCAL_TICK`), the worker's statistical profiler is off: it
    samples every thread's stack every 10 ms for the dashboard's profile page, holding
    the GIL the shard's work needs on a worker with one thread.
    """
    import dask
    import distributed  # noqa: F401  (loads distributed's config defaults)

    tick = dask.config.get("distributed.admin.tick.interval")
    if str(tick) == "20ms":  # Dask's default: not chosen by the user
        tick = LOCAL_TICK
    config: dict[str, Any] = {"distributed.admin.tick.interval": tick}
    if dask.config.get("distributed.worker.profile.enabled") is True and \
            str(dask.config.get("distributed.worker.profile.interval")) == "10ms":
        config["distributed.worker.profile.enabled"] = False
    return config


def jobqueue_kwargs(env: str, options: dict[str, Any], run_name: str) -> dict[str, Any]:
    """Cluster kwargs with defaults that work on loopback-only and real clusters alike."""
    kwargs = {**job_defaults(env), **options}
    if env == "htcondor":
        kwargs.setdefault("disk", "4GB")  # HTCondorCluster requires a disk request
        extra = dict(kwargs.get("job_extra_directives") or {})
        extra.setdefault("batch_name", run_name)  # condor_q groups jobs by it (the job name)
        kwargs["job_extra_directives"] = extra
    kwargs.setdefault("job_name", run_name)
    log_dir = Path(kwargs.get("log_directory") or Path("exp") / "parallel_logs").absolute()
    private_dir(log_dir)  # job scripts' logs, TLS certificates: yours only
    kwargs["log_directory"] = str(log_dir)
    if kwargs.get("interface") is None and "host" not in kwargs:
        kwargs["interface"] = default_interface()
    kwargs.setdefault("death_timeout", 60)
    return kwargs


def _jobqueue_cluster(env: str, options: dict[str, Any], run_name: str, dashboard: bool,
                      security: str) -> Any:
    dask_jobqueue = import_dask_jobqueue()
    cluster_cls = getattr(dask_jobqueue, JOBQUEUE_CLASSES[env])
    kwargs = jobqueue_kwargs(env, options, run_name)
    kwargs["scheduler_options"] = {**scheduler_http_options(dashboard),
                                   **dict(kwargs.get("scheduler_options") or {})}
    kwargs["worker_extra_args"] = [*WORKER_HTTP_ARGS, *(kwargs.get("worker_extra_args") or [])]
    for key, value in jobqueue_security_kwargs(security, Path(kwargs["log_directory"])).items():
        kwargs.setdefault(key, value)
    if env == "pbs":
        kwargs["job_cls"] = _pbs_job_cls()
    return cluster_cls(**kwargs)


def _pbs_job_cls() -> type:
    """PBSJob that also names its log files on qsub's command line.

    PBS reads ``#PBS -o/-e <log_directory>/`` from the script, but SLURM's qsub wrapper
    (slurm-wlm-torque) ignores ``#PBS`` lines and would write the logs into the current
    directory; command-line paths work with both.
    """
    from dask_jobqueue.pbs import PBSJob

    class LoggedPBSJob(PBSJob):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            stem = Path(self.log_directory) / f"{self.job_name}-{uuid.uuid4().hex[:8]}"
            self.submit_command = shlex.join(["qsub", "-o", f"{stem}.out",
                                              "-e", f"{stem}.err"])

    return LoggedPBSJob


def default_interface() -> str | None:
    """``lo`` when the scheduler's compute nodes are this very host, else Dask's choice.

    On a single-node or loopback-only setup Dask would bind the scheduler to the eth0
    address, which jobs may not be able to reach; on a real cluster workers must reach
    the login node, so we keep Dask's default there. ``ESPNET3_PREP_INTERFACE`` overrides.
    """
    forced = os.environ.get("ESPNET3_PREP_INTERFACE")
    if forced:
        return forced
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%N"], capture_output=True, text=True,
                             timeout=10, check=False).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return "lo" if out and set(out) <= {socket.gethostname(), "localhost"} else None
