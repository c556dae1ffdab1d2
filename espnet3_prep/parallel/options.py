"""Validation of the ``parallel`` config, done before anything is started or submitted."""

from __future__ import annotations

import difflib
import inspect
from typing import Any

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
LOCAL_CLUSTER_OPTIONS = ("threads_per_worker", "memory_limit", "dashboard_address",
                         "host", "scheduler_port", "silence_logs", "local_directory")
SUBMITIT_OPTIONS = ("slurm_partition", "slurm_account", "slurm_qos", "slurm_time",
                    "timeout_min", "mem_gb", "cpus_per_task", "gpus_per_node",
                    "slurm_additional_parameters", "slurm_setup", "slurm_array_parallelism",
                    "slurm_constraint", "slurm_exclude", "slurm_comment", "slurm_mem",
                    "slurm_job_name", "slurm_gres", "max_num_timeout", "tasks_per_node",
                    "nodes", "slurm_use_srun", "stderr_to_stdout", "name")


def normalize_parallel_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """Check ``env``, ``n_workers`` and ``options``; return a clean plain dict."""
    if not config:
        return {"env": "none", "n_workers": 1, "options": {}}
    unknown = set(config) - {"env", "n_workers", "options", "name", "worker_timeout_s",
                             "adapt"}
    if unknown:
        raise ConfigError(f"parallel: unknown keys {sorted(unknown)}; valid keys are env, "
                          "n_workers, options, worker_timeout_s, adapt")
    env = str(config.get("env") or "none")
    if env not in ENVS:
        raise ConfigError(f"parallel.env={env!r} is not supported; choose one of "
                          f"{', '.join(ENVS)} (e.g. parallel=local)")
    n_workers = config.get("n_workers", 1)
    if not isinstance(n_workers, int) or isinstance(n_workers, bool) or n_workers < 1:
        raise ConfigError(f"parallel.n_workers must be a positive integer, got {n_workers!r}")
    options = dict(config.get("options") or {})
    check_options(env, options)
    out = {"env": env, "n_workers": n_workers, "options": options}
    for key in ("worker_timeout_s", "adapt"):
        if key in config and config[key] is not None:
            out[key] = config[key]
    return out


def check_options(env: str, options: dict[str, Any]) -> None:
    """Reject option names the backend's class would not accept, listing valid ones."""
    if env == "none":
        valid: set[str] = set()
    elif env == "local":
        valid = set(LOCAL_CLUSTER_OPTIONS)
    elif env in SUBMITIT_ENVS:
        valid = set(SUBMITIT_OPTIONS)
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


def jobqueue_option_names(env: str) -> set[str]:
    """Keyword arguments accepted by a dask-jobqueue cluster class and its job class."""
    import dask_jobqueue
    from dask_jobqueue.core import Job, JobQueueCluster

    cluster_cls = getattr(dask_jobqueue, JOBQUEUE_CLASSES[env])
    names: set[str] = set()
    for fn in (JobQueueCluster.__init__, Job.__init__, cluster_cls.job_cls.__init__):
        names |= {p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    return names - {"self", "scheduler", "job_cls", "loop", "asynchronous", "config_name",
                    "n_workers", "name"}
