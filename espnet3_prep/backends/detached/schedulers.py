"""Submitting detached jobs and asking where they are, through public commands only.

- ``none``/``local``/``submitit_local``: detached local processes
  (``subprocess.Popen(..., start_new_session=True)``, output to the job's log); they
  survive closing the shell. Liveness: the pid, checked against its start time.
- ``slurm``/``pbs``/``sge``/``lsf``: a batch script whose header comes from the
  dask-jobqueue job class (the same ``parallel.options`` as synchronous runs), submitted
  with ``sbatch``/``qsub``/``bsub``; the job id is parsed from its output. Liveness:
  ``squeue`` (then ``sacct`` for the final state), ``qstat`` or ``bjobs``.
- ``submitit_slurm``: one submitit job array (``executor.map_array``) calling the worker.
"""

from __future__ import annotations

import getpass
import inspect
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from espnet3_prep.backends.dask_jobqueue_import import import_dask_jobqueue
from espnet3_prep.backends.defaults import DEFAULT_RUN_NAME, job_defaults
from espnet3_prep.backends.detached.book import JobsLayout
from espnet3_prep.backends.detached.job import submitit_entry
from espnet3_prep.backends.options import JOBQUEUE_CLASSES
from espnet3_prep.backends.submitit import SubmititBackend
from espnet3_prep.errors import ConfigError
from espnet3_prep.storage.files import atomic_write_text

LOCAL_ENVS = ("none", "local", "submitit_local")
SCRIPT_ENVS = ("slurm", "pbs", "sge", "lsf")
ASYNC_ENVS = (*LOCAL_ENVS, *SCRIPT_ENVS, "submitit_slurm")
QUEUED = {"PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "Q", "H", "W", "T", "qw",
          "hqw", "PEND", "PSUSP"}
ENDED = {"C", "F", "X", "DONE", "EXIT", "COMPLETED", "CANCELLED", "FAILED", "TIMEOUT",
         "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE"}
# command, header lines to skip, id column, state column
TABLE_QUERIES = {"pbs": (["qstat"], 2, 0, 4), "sge": (["qstat"], 2, 0, 4),
                 "lsf": (["bjobs", "-a", "-noheader", "-o", "jobid stat"], 0, 0, 1)}
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class JobState:
    """What the scheduler (or the OS) says about one job."""

    alive: bool
    label: str
    queued: bool = False


@dataclass
class JobRequest:
    """One job to submit: its name, shards, spec files and log file."""

    name: str
    shards: list[int]
    specs: list[Path]
    log: Path


def kind_for(env: str) -> str:
    """How jobs of ``parallel.env`` are submitted (``local`` for the local envs)."""
    if env in LOCAL_ENVS:
        return "local"
    if env in (*SCRIPT_ENVS, "submitit_slurm"):
        return env
    raise ConfigError(f"runner.async_mode=true does not support parallel.env={env}; use one "
                      f"of {', '.join(ASYNC_ENVS)} (or async_mode=false)")


def scheduler_job_name(config: dict[str, Any]) -> str:
    """The job name schedulers show (``<run name>-async``)."""
    options = config.get("options") or {}
    return str(options.get("job_name") or f"{config.get('name') or DEFAULT_RUN_NAME}-async")


def submit(config: dict[str, Any], requests: list[JobRequest], layout: JobsLayout,
           on_submitted: Callable[[JobRequest, dict[str, Any]], None]) -> None:
    """Submit every request; ``on_submitted`` records each job as soon as it exists."""
    kind = kind_for(config["env"])
    cwd = os.getcwd()
    if kind == "submitit_slurm":
        for request, record in zip(requests, _submit_submitit(config, requests, layout),
                                   strict=True):
            on_submitted(request, record)
        return
    for request in requests:
        request.log.parent.mkdir(parents=True, exist_ok=True)
        record = (_submit_local(request, cwd) if kind == "local"
                  else _submit_script(kind, config, request, layout, cwd))
        on_submitted(request, record)


# --------------------------------------------------------------------------- local


def worker_command(python: str, specs: list[Path]) -> list[str]:
    """The worker entry point for these specs."""
    return [python, "-m", "espnet3_prep.worker", *map(str, specs)]


def _submit_local(request: JobRequest, cwd: str) -> dict[str, Any]:
    with open(request.log, "ab") as log:
        proc = subprocess.Popen(worker_command(sys.executable, request.specs), cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True)
    _CHILDREN[proc.pid] = proc  # reaped by job_states; kept so no ResourceWarning fires
    try:
        started: float | None = psutil.Process(proc.pid).create_time()
    except psutil.Error:
        started = None
    return {"kind": "local", "job_id": str(proc.pid), "pid": proc.pid,
            "host": socket.gethostname(), "create_time": started}


def _local_state(record: dict[str, Any]) -> JobState:
    pid, host = int(record["pid"]), record.get("host")
    if host != socket.gethostname():
        return JobState(True, f"unknown (pid {pid} runs on {host}; ask status there)")
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        return JobState(False, f"exited {child.returncode}")
    try:
        proc = psutil.Process(pid)
        same = record.get("create_time") is None or abs(
            proc.create_time() - float(record["create_time"])) < 1.0
        if same and proc.status() != psutil.STATUS_ZOMBIE:
            return JobState(True, "RUNNING")
    except psutil.Error:
        pass
    return JobState(False, "exited")


# --------------------------------------------------------------------------- batch scripts


def job_object(env: str, options: dict[str, Any], job_name: str, log_dir: Path) -> Any:
    """A dask-jobqueue job of ``env`` built from ``parallel.options`` (for its header)."""
    dask_jobqueue = import_dask_jobqueue()
    from dask_jobqueue.core import Job

    job_cls = getattr(dask_jobqueue, JOBQUEUE_CLASSES[env]).job_cls
    allowed = (set(inspect.signature(Job.__init__).parameters)
               | set(inspect.signature(job_cls.__init__).parameters))
    allowed -= {"self", "scheduler", "name", "config_name"}
    kwargs: dict[str, Any] = job_defaults(env)
    kwargs.update({k: v for k, v in options.items() if k in allowed and v is not None})
    kwargs.update(job_name=job_name, log_directory=str(log_dir))
    return job_cls(scheduler="tcp://127.0.0.1:0", name=job_name, **kwargs)


def render_script(job: Any, options: dict[str, Any], request: JobRequest, cwd: str) -> str:
    """Header from the job class, then: log redirect, prologue, cd, the worker."""
    quote = shlex.quote
    shards = ",".join(f"{s:05d}" for s in request.shards)
    lines = [job.shebang, "", job.job_header,
             f"# espnet3-prep detached job {request.name}: shards {shards}",
             f"exec >>{quote(str(request.log))} 2>&1",
             *list(options.get("job_script_prologue") or []), f"cd {quote(cwd)}"]
    if os.environ.get("PYTHONPATH"):
        lines.append(f"export PYTHONPATH={quote(os.environ['PYTHONPATH'])}")
    python = str(options.get("python") or sys.executable)
    lines.append("exec " + shlex.join(worker_command(python, request.specs)))
    return "\n".join(lines) + "\n"


def describe_detached(config: dict[str, Any], split_dir: Path, shards: list[int]) -> str:
    """What ``runner.async_mode=true`` would submit for the first job of a split (for
    ``action=plan``): the batch script itself for script schedulers."""
    kind = kind_for(config["env"])
    layout = JobsLayout.of(split_dir)
    name = "job-00000"
    request = JobRequest(name, shards, [layout.spec_path(s) for s in shards],
                         layout.log_path(name))
    command = shlex.join(worker_command(sys.executable, request.specs))
    if kind not in SCRIPT_ENVS:
        return (f"detached jobs ({kind}): each runs `{command}`, logs in "
                f"{layout.root / 'logs'}")
    options = dict(config.get("options") or {})
    new_dirs = [d for d in (split_dir, layout.root) if not d.exists()]
    try:  # the job class creates its log folder: a plan must leave nothing behind
        job = job_object(kind, options, scheduler_job_name(config), layout.root / "logs")
        script = render_script(job, options, request, os.getcwd())
    finally:
        for folder in reversed(new_dirs):
            shutil.rmtree(folder, ignore_errors=True)
    return (f"detached {kind} jobs, submitted with `{job.submit_command}`; the first "
            f"({name}, shards {shards}) would be {layout.script_path(name)}:\n{script}")


def _submit_script(env: str, config: dict[str, Any], request: JobRequest,
                   layout: JobsLayout, cwd: str) -> dict[str, Any]:
    options = dict(config.get("options") or {})
    job = job_object(env, options, scheduler_job_name(config), layout.root / "logs")
    script = render_script(job, options, request, cwd)
    path = layout.script_path(request.name)
    atomic_write_text(path, script)
    path.chmod(0o700)
    stdin = bool(getattr(job, "use_stdin", False))
    command = shlex.split(job.submit_command) + ([] if stdin else [str(path)])
    try:
        # from the log folder: some qsub flavours drop <script>.o<id> files into the cwd
        proc = subprocess.run(command, input=script if stdin else None, capture_output=True,
                              text=True, timeout=120, cwd=request.log.parent, check=False)
    except FileNotFoundError as exc:
        raise ConfigError(f"parallel.env={env} needs `{command[0]}` on PATH; submit from a "
                          "login node of the cluster, or use parallel=local") from exc
    match = re.search(job.job_id_regexp, proc.stdout or "")
    if proc.returncode != 0 or match is None:
        message = (proc.stderr or proc.stdout).strip() or f"exit code {proc.returncode}"
        raise ConfigError(
            f"parallel.env={env}: `{command[0]}` did not accept job {request.name}: {message}"
            f"\nFix parallel.options (queue, account, memory, walltime, "
            f"job_extra_directives); the script is {path}")
    return {"kind": env, "job_id": match.group("job_id"), "script": str(path)}


def _submit_submitit(config: dict[str, Any], requests: list[JobRequest],
                     layout: JobsLayout) -> list[dict[str, Any]]:
    from submitit.core.utils import FailedJobError

    options = {**dict(config.get("options") or {}), "folder": str(layout.root / "submitit")}
    backend = SubmititBackend({**config, "options": options,
                               "name": scheduler_job_name(config)})
    try:
        jobs = backend.executor().map_array(
            submitit_entry, [[str(p) for p in r.specs] for r in requests])
    except FailedJobError as exc:
        raise ConfigError(f"parallel.env=submitit_slurm: the scheduler rejected the job "
                          f"array: {str(exc).strip()}\nFix parallel.options and rerun") from exc
    return [{"kind": "submitit_slurm", "job_id": str(job.job_id),
             "folder": options["folder"]} for job in jobs]


# --------------------------------------------------------------------------- job states


def job_states(jobs: dict[str, dict[str, Any]]) -> dict[str, JobState]:
    """The state of each named job record (one scheduler query per kind)."""
    states: dict[str, JobState] = {}
    by_kind: dict[str, list[str]] = {}
    for name, record in jobs.items():
        if record.get("kind") == "local":
            states[name] = _local_state(record)
        else:
            by_kind.setdefault(str(record.get("kind")), []).append(name)
    for kind, names in by_kind.items():
        ids = [str(jobs[n]["job_id"]) for n in names]
        found = _slurm_states(ids) if kind in ("slurm", "submitit_slurm") else (
            _table_states(kind, ids))
        states.update({n: found[i] for n, i in zip(names, ids, strict=True)})
    return states


def _run(command: list[str]) -> str | None:
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 else None


def _slurm_states(ids: list[str]) -> dict[str, JobState]:
    out = _run(["squeue", "-h", "-r", "-u", getpass.getuser(), "-o", "%i|%T"])
    if out is None:
        return {i: JobState(True, "unknown (squeue failed; is slurmctld up?)") for i in ids}
    live = dict(line.split("|", 1) for line in out.splitlines() if "|" in line)
    gone = [i for i in ids if i not in live]
    final: dict[str, str] = {}
    if gone:
        acct = _run(["sacct", "-n", "-P", "-X", "-o", "JobID,State", "-j", ",".join(gone)])
        for line in (acct or "").splitlines():
            job_id, _, state = line.partition("|")
            final[job_id] = state.split(" ")[0] if state.split(" ")[0] in ENDED else "ENDED"
    return {i: JobState(True, live[i], live[i] in QUEUED) if i in live
            else JobState(False, final.get(i, "ENDED")) for i in ids}


def _table_states(kind: str, ids: list[str]) -> dict[str, JobState]:
    command, skip, id_col, state_col = TABLE_QUERIES[kind]
    out = _run(command)
    if out is None:
        return {i: JobState(True, f"unknown ({command[0]} failed)") for i in ids}
    seen: dict[str, str] = {}
    for line in out.splitlines()[skip:]:
        parts = line.split()
        if len(parts) > max(id_col, state_col):
            seen[parts[id_col].split(".")[0]] = parts[state_col]
    return {i: JobState(seen[i] not in ENDED, seen[i], seen[i] in QUEUED) if i in seen
            else JobState(False, "ENDED") for i in ids}
