"""Job defaults shared by every cluster backend (the only copy).

Used for dask-jobqueue workers (:mod:`~espnet3_prep.backends.dask_cluster`) and for the
detached jobs' batch scripts (:mod:`~espnet3_prep.backends.detached.schedulers`);
``parallel.options`` overrides any of them.
"""

from __future__ import annotations

from typing import Any

WALLTIME = {"slurm": "01:00:00", "pbs": "01:00:00", "sge": "01:00:00", "moab": "01:00:00",
            "lsf": "01:00"}
"""Default time limit per job, in each scheduler's own format."""
JOB_RESOURCES: dict[str, Any] = {"cores": 1, "processes": 1, "memory": "2GB"}
"""One single-threaded worker process per job, 2 GB."""
SUBMITIT_PARAMETERS: dict[str, Any] = {"timeout_min": 60, "mem_gb": 2}
"""The same limits in submitit's units (minutes, GB)."""
DEFAULT_RUN_NAME = "espnet3-prep"


def job_defaults(env: str) -> dict[str, Any]:
    """The resources and time limit a job of ``env`` gets unless the options say otherwise."""
    defaults = dict(JOB_RESOURCES)
    if env in WALLTIME:
        defaults["walltime"] = WALLTIME[env]
    return defaults
