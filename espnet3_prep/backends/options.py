"""Validation of the ``parallel`` config, done before anything is started or submitted."""

from __future__ import annotations

import difflib
import inspect
from typing import Any

from espnet3_prep.backends.dask_jobqueue_import import import_dask_jobqueue
from espnet3_prep.backends.option_rules import check_option_values
from espnet3_prep.errors import ConfigError

JOBQUEUE_CLASSES = {
    "slurm": "SLURMCluster",
    "pbs": "PBSCluster",
    "sge": "SGECluster",
    "lsf": "LSFCluster",
    "htcondor": "HTCondorCluster",
    "moab": "MoabCluster",
    "oar": "OARCluster",
}
SUBMITIT_ENVS = ("submitit_slurm", "submitit_local")
ENVS = ("none", "local", *JOBQUEUE_CLASSES, *SUBMITIT_ENVS)
# Options that our cluster builder sets itself; users may still override them.
LOCAL_CLUSTER_OPTIONS = ("processes", "threads_per_worker", "memory_limit", "dashboard_address",
                         "host", "scheduler_port", "silence_logs", "local_directory")
# Options the submitit backend itself consumes (the rest go to submitit.AutoExecutor).
SUBMITIT_BACKEND_OPTIONS = ("folder", "shards_per_job", "job_retries")
SUBMITIT_EXECUTORS = ("slurm", "local")
SECURITY_MODES = ("tls", "none")
"""``parallel.security``: TLS with per-run certificates, or plain TCP."""


def normalize_parallel_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """Check ``env``, ``n_workers`` and ``options``; return a clean plain dict."""
    if not config:
        return {"env": "none", "n_workers": 1, "options": {}}
    unknown = set(config) - {"env", "n_workers", "options", "name", "worker_timeout_s",
                             "adapt", "dashboard", "security"}
    if unknown:
        raise ConfigError(f"parallel: unknown keys {sorted(unknown)}; valid keys are env, "
                          "n_workers, options, name, worker_timeout_s, adapt, dashboard, "
                          "security")
    env = config.get("env")
    env = "none" if env is None else str(env)
    if env not in ENVS:
        raise ConfigError(f"parallel.env={env!r} is not supported; choose one of "
                          f"{', '.join(ENVS)} (e.g. parallel=local)")
    n_workers = config.get("n_workers", 1)
    if not isinstance(n_workers, int) or isinstance(n_workers, bool) or n_workers < 1:
        raise ConfigError(f"parallel.n_workers must be a positive integer, got {n_workers!r}")
    options = dict(config.get("options") or {})
    check_options(env, options)
    out = {"env": env, "n_workers": n_workers, "options": options,
           "dashboard": _check_dashboard(config.get("dashboard")),
           "security": _check_security(env, config.get("security"))}
    for key in ("name", "worker_timeout_s", "adapt"):
        if key in config and config[key] is not None:
            out[key] = config[key]
    return out


def _check_dashboard(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConfigError(f"parallel.dashboard must be true or false, got {value!r}")
    return value


def _check_security(env: str, value: Any) -> str:
    """``tls`` or ``none``; by default ``tls`` where the scheduler listens on the network."""
    if value is None:
        return "tls" if env in JOBQUEUE_CLASSES else "none"
    if value not in SECURITY_MODES:
        raise ConfigError(f"parallel.security={value!r} is not supported; choose tls (the "
                          "default for jobqueue clusters: per-run certificates) or none")
    if value == "tls" and env not in ("local", *JOBQUEUE_CLASSES):
        raise ConfigError(f"parallel.security=tls applies to Dask clusters (local, "
                          f"{', '.join(JOBQUEUE_CLASSES)}), not parallel.env={env}; drop it")
    return str(value)


def check_options(env: str, options: dict[str, Any]) -> None:
    """Reject option names the backend's class would not accept, listing valid ones."""
    if env == "none":
        valid: set[str] = set()
    elif env == "local":
        valid = set(LOCAL_CLUSTER_OPTIONS)
    elif env in SUBMITIT_ENVS:
        valid = submitit_option_names()
    else:
        valid = jobqueue_option_names(env)
    bad = sorted(set(options) - valid)
    if bad:
        hints = [f"{name} (did you mean {m[0]}?)" if (m := difflib.get_close_matches(
            name, valid, n=1)) else name for name in bad]
        raise ConfigError(
            f"parallel.options: unknown option(s) {', '.join(hints)} for env={env}. "
            f"Valid options: {', '.join(sorted(valid)) or '(none)'}"
        )
    check_option_values(env, options)


def jobqueue_option_names(env: str) -> set[str]:
    """Keyword arguments accepted by a dask-jobqueue cluster class and its job class."""
    dask_jobqueue = import_dask_jobqueue()
    from dask_jobqueue.core import Job, JobQueueCluster

    cluster_cls = getattr(dask_jobqueue, JOBQUEUE_CLASSES[env])
    names: set[str] = set()
    for fn in (JobQueueCluster.__init__, Job.__init__, cluster_cls.job_cls.__init__):
        names |= {p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    return names - {"self", "scheduler", "job_cls", "loop", "asynchronous", "config_name",
                    "n_workers", "name"}


def submitit_option_names() -> set[str]:
    """``submitit.AutoExecutor`` parameters (generic and ``slurm_``/``local_`` prefixed,
    constructor arguments included) plus the backend's own options."""
    from submitit import AutoExecutor
    from submitit.local.local import LocalExecutor
    from submitit.slurm.slurm import SlurmExecutor

    # private API (no public list of parameters): tests/backends/test_private_apis.py
    names = set(AutoExecutor._valid_parameters()) | set(SUBMITIT_BACKEND_OPTIONS)
    for prefix, cls in zip(SUBMITIT_EXECUTORS, (SlurmExecutor, LocalExecutor), strict=True):
        ctor = set(inspect.signature(cls.__init__).parameters) - {"self", "folder"}
        names |= {f"{prefix}_{name}" for name in cls._valid_parameters() | ctor}
    return names
