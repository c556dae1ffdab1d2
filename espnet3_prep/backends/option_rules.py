"""Value rules of ``parallel.options``, one dataclass per backend family.

The option *names* are checked against the backend classes' signatures
(:func:`espnet3_prep.parallel.options.check_options`); these dataclasses check the *values*
of the options dask-jobqueue, Dask's LocalCluster and submitit parse (sizes, walltimes,
partitions, counts, folders) before anything is started or submitted. An option not listed
here is passed on unchecked. Every field is optional: ``null`` leaves the option unset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from espnet3_prep.rules import (
    check_fields,
    integer,
    is_number,
    number,
    out_folder,
    rule,
    size,
    string_list,
    text,
    token,
    walltime,
)


def _interface(value: Any) -> str | None:
    import psutil

    names = sorted(psutil.net_if_addrs())
    if not isinstance(value, str) or value not in names:
        return f"is not a network interface of this machine (it has {', '.join(names)})"
    return None


def _memory_limit(value: Any) -> str | None:
    if value == "auto" or (is_number(value) and 0 <= value <= 1):
        return None  # dask: "auto", 0 (no limit) or a fraction of the machine's memory
    return size()["check"](value)


def _mapping(value: Any) -> str | None:
    return None if isinstance(value, Mapping) else "must be a mapping (option: value)"


OPTIONAL = {"optional": True}
FOLDER = out_folder(example="/scratch/logs")
STRINGS = string_list(example='["--qos=high"]', optional=True)


@dataclass
class JobqueueOptions:
    """dask-jobqueue cluster options shared by every scheduler (PBS, SGE, HTCondor...)."""

    cores: int | None = field(default=None, metadata=integer(1, 4096, example="1", **OPTIONAL))
    processes: int | None = field(default=None, metadata=integer(1, 4096, example="1",
                                                                 **OPTIONAL))
    memory: str | None = field(default=None, metadata=size(example="16GB", **OPTIONAL))
    walltime: str | None = field(default=None, metadata=walltime(example="04:00:00"))
    queue: str | None = field(default=None, metadata=token(example="cpu", **OPTIONAL))
    account: str | None = field(default=None, metadata=token(example="myproject", **OPTIONAL))
    project: str | None = field(default=None, metadata=token(example="myproject", **OPTIONAL))
    resource_spec: str | None = field(default=None, metadata=text(example="h_vmem=8G",
                                                                  **OPTIONAL))
    job_extra_directives: Any = field(default=None, metadata=STRINGS)
    job_directives_skip: Any = field(default=None, metadata=STRINGS)
    job_script_prologue: Any = field(default=None, metadata=string_list(
        example='["module load sox"]', optional=True))
    worker_extra_args: Any = field(default=None, metadata=STRINGS)
    log_directory: str | None = field(default=None, metadata=FOLDER)
    local_directory: str | None = field(default=None, metadata=FOLDER)
    interface: str | None = field(default=None, metadata=rule(_interface, "lo", True))
    death_timeout: float | None = field(default=None, metadata=number(
        0, 10**7, lo_open=True, example="60", **OPTIONAL))
    disk: str | None = field(default=None, metadata=size(example="20GB", **OPTIONAL))


@dataclass
class SlurmOptions(JobqueueOptions):
    """SLURMCluster: ``-t`` takes ``[days-]hours:minutes:seconds``; ``job_mem`` is ``--mem``."""

    walltime: str | None = field(default=None, metadata=walltime("slurm", example="04:00:00"))
    job_mem: str | None = field(default=None, metadata=size(example="16GB", **OPTIONAL))
    job_cpu: int | None = field(default=None, metadata=integer(1, 4096, example="1",
                                                               **OPTIONAL))


@dataclass
class LsfOptions(JobqueueOptions):
    """LSFCluster: ``-W`` takes ``hours:minutes``."""

    walltime: str | None = field(default=None, metadata=walltime("lsf", example="04:00"))


@dataclass
class HTCondorOptions(JobqueueOptions):
    """HTCondorCluster: ``job_extra_directives`` are submit-file lines as a mapping."""

    job_extra_directives: Any = field(default=None, metadata=rule(
        _mapping, "{request_gpus: 1}", True))


@dataclass
class LocalOptions:
    """Dask LocalCluster options a user may override."""

    threads_per_worker: int | None = field(default=None, metadata=integer(
        1, 256, example="1", **OPTIONAL))
    memory_limit: Any = field(default=None, metadata=rule(_memory_limit, "4GB", True))
    scheduler_port: int | None = field(default=None, metadata=integer(
        0, 65535, example="0", **OPTIONAL))
    host: str | None = field(default=None, metadata=token(example="127.0.0.1", **OPTIONAL))
    local_directory: str | None = field(default=None, metadata=FOLDER)


@dataclass
class SubmititOptions:
    """submitit executor parameters plus the backend's own ``folder``/``shards_per_job``/
    ``job_retries``."""

    timeout_min: int | None = field(default=None, metadata=integer(
        1, 10**6, example="240", **OPTIONAL))
    mem_gb: float | None = field(default=None, metadata=number(
        0, 10**5, lo_open=True, example="8", **OPTIONAL))
    cpus_per_task: int | None = field(default=None, metadata=integer(
        1, 4096, example="1", **OPTIONAL))
    gpus_per_node: int | None = field(default=None, metadata=integer(
        0, 64, example="1", **OPTIONAL))
    nodes: int | None = field(default=None, metadata=integer(1, 10**5, example="1", **OPTIONAL))
    tasks_per_node: int | None = field(default=None, metadata=integer(
        1, 4096, example="1", **OPTIONAL))
    slurm_partition: str | None = field(default=None, metadata=token(example="cpu", **OPTIONAL))
    slurm_account: str | None = field(default=None, metadata=token(example="myproject",
                                                                   **OPTIONAL))
    slurm_qos: str | None = field(default=None, metadata=token(example="normal", **OPTIONAL))
    slurm_array_parallelism: int | None = field(default=None, metadata=integer(
        1, 10**5, example="64", **OPTIONAL))
    slurm_additional_parameters: Any = field(default=None, metadata=rule(
        _mapping, "{constraint: avx2}", True))
    slurm_setup: Any = field(default=None, metadata=string_list(
        example='["module load sox"]', optional=True))
    shards_per_job: int | None = field(default=None, metadata=integer(
        1, 10**6, example="4", **OPTIONAL))
    job_retries: int | None = field(default=None, metadata=integer(0, 100, example="2",
                                                                   **OPTIONAL))
    folder: str | None = field(default=None, metadata=FOLDER)


SCHEMAS: dict[str, type] = {
    "local": LocalOptions,
    "slurm": SlurmOptions,
    "lsf": LsfOptions,
    "htcondor": HTCondorOptions,
    "submitit_slurm": SubmititOptions,
    "submitit_local": SubmititOptions,
}


def check_option_values(env: str, options: Mapping[str, Any]) -> None:
    """ConfigError for the first bad value among ``options`` of backend ``env``."""
    if env == "none":
        return
    check_fields(SCHEMAS.get(env, JobqueueOptions), options, "parallel.options")
