"""submitit backend: shards as SLURM job arrays (``submitit_slurm``) or local jobs
(``submitit_local``).

- shards are grouped into jobs: ``shards_per_job`` at a time, or (``null``, the default)
  into about 16 jobs per worker of about equal cost (:func:`~.bundles.bundle`, over the
  costliest-first order), since a job start costs more than a small shard; on SLURM
  every job of a wave goes into one job array with at most ``n_workers`` tasks running at once
  (``slurm_array_parallelism``); locally at most ``n_workers`` jobs run at once;
- each job builds the provider's env once (``EnvSource.make_setup_fn()``), then runs its
  shards (:func:`~espnet3_prep.backends.submitit_job.run_job`);
- a job that ends without a result (scancel, out of memory, node failure, time limit) is
  resubmitted for its shards that have no done marker, at most ``job_retries`` times;
  since only the marker makes a shard done, nothing is lost or duplicated;
- a submission the scheduler rejects is an error carrying sbatch's message; jobs that stay
  pending with nothing running for ``worker_timeout_s`` are an error carrying squeue's reason;
- jobs talk to the driver only through files in ``folder``, so progress is per finished job.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from espnet3_prep.backends.base import Backend, EnvSource, ResultFn
from espnet3_prep.backends.bundles import TASKS_PER_WORKER, bundle
from espnet3_prep.backends.defaults import DEFAULT_RUN_NAME, SUBMITIT_PARAMETERS
from espnet3_prep.backends.submitit_job import JobReport, run_job
from espnet3_prep.errors import BackendError, ConfigError
from espnet3_prep.execution.file_progress import ProgressFiles
from espnet3_prep.execution.task import ProgressFn, ShardResult, ShardTask
from espnet3_prep.storage.private import folder_check_line, private_dir
from espnet3_prep.storage.shards import ShardStore

log = logging.getLogger(__name__)
DEFAULT_FOLDER = Path("exp") / "parallel_logs"
DEFAULT_JOB_RETRIES = 2
POLL_S = 1.0
STATE_REFRESH_S = 3.0
NOT_STARTED = ("PENDING", "UNKNOWN", "REQUEUED", "CONFIGURING")


@dataclass
class _Chunk:
    """The shards of one job, and how many jobs already died holding them."""

    tasks: list[ShardTask]
    attempts: int = 0


class SubmititBackend(Backend):
    """Runs shards as submitit jobs; one executor per backend, reused until :meth:`close`."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.name = config["env"]
        self.cluster = "slurm" if self.name == "submitit_slurm" else "local"
        options = dict(config.get("options") or {})
        self.folder = Path(options.pop("folder", None) or DEFAULT_FOLDER).absolute()
        per_job = options.pop("shards_per_job", None)
        self.shards_per_job = None if per_job is None else int(per_job)
        """Shards per job; None: bundled by cost (about 16 jobs per worker)."""
        retries = options.pop("job_retries", None)
        self.job_retries = DEFAULT_JOB_RETRIES if retries is None else int(retries)
        self.worker_timeout_s = float(config.get("worker_timeout_s", 120))
        self.ctor_options, self.parameters = self._split_options(options)
        self._executor: Any = None
        self._running: dict[Any, _Chunk] = {}
        self._last_activity = time.monotonic()
        self._last_refresh = 0.0

    @property
    def n_workers(self) -> int:
        """Maximum number of jobs running at once."""
        return int(self.config.get("n_workers", 1))

    def _split_options(self, options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Executor constructor arguments, and the parameters with run defaults added."""
        import submitit

        executor_cls = submitit.SlurmExecutor if self.cluster == "slurm" else (
            submitit.LocalExecutor)
        ctor_names = set(inspect.signature(executor_cls.__init__).parameters)
        ctor = {k: v for k, v in options.items() if k.split("_", 1)[-1] in ctor_names
                and k.split("_", 1)[0] in ("slurm", "local")}
        parameters = {**SUBMITIT_PARAMETERS, "name": self.config.get("name") or DEFAULT_RUN_NAME,
                      "slurm_array_parallelism": self.n_workers}
        parameters.update({k: v for k, v in options.items() if k not in ctor})
        if self.cluster == "slurm":  # before submitit unpickles the job from the folder
            parameters["slurm_setup"] = [folder_check_line(self.folder),
                                         *(parameters.get("slurm_setup") or [])]
        return ctor, parameters

    def executor(self) -> Any:
        """The submitit executor (built once)."""
        if self._executor is None:
            import submitit

            private_dir(self.folder)  # pickles the jobs unpickle: yours only
            try:
                executor = submitit.AutoExecutor(folder=self.folder, cluster=self.cluster,
                                                 **self.ctor_options)
            except RuntimeError as exc:
                raise ConfigError(
                    f"parallel.env={self.name} needs SLURM's sbatch/srun on PATH ({exc}); run "
                    "on a SLURM login node or use parallel=submitit_local") from exc
            try:
                executor.update_parameters(**self.parameters)
            except (AssertionError, NameError, ValueError, TypeError) as exc:
                raise ConfigError(f"parallel.options: submitit rejects a value: {exc}") from exc
            self._executor = executor
        return self._executor

    def describe(self) -> str:
        """How jobs are cut and, for SLURM, the sbatch script submitit would submit."""
        per_job = (f"{self.shards_per_job} shard(s) per job" if self.shards_per_job else
                   f"shards bundled into <= {TASKS_PER_WORKER * self.n_workers} jobs")
        head = (f"backend: {self.name}, {per_job}, at most "
                f"{self.n_workers} jobs at once, up to {self.job_retries} resubmission(s) of "
                f"shards whose job died; logs in {self.folder}")
        if self.cluster == "local":
            return head
        try:
            inner = self.executor()._executor
        except ConfigError as exc:
            return f"{head}\n(no sbatch script: {exc})"
        # private API (submitit has no public way to render the script without submitting):
        # tests/backends/test_private_apis.py
        script = inner._make_submission_file_text(inner._submitit_command_str, "plan")
        return (f"{head}\nsbatch script (submitted as one job array, "
                f"--array=0-<jobs - 1>%{self.n_workers}):\n{script}")

    # ----------------------------------------------------------------- running
    def run(self, tasks: list[ShardTask], env: EnvSource, on_result: ResultFn,
            on_item: ProgressFn) -> None:
        """Submit every shard, report results as jobs finish, resubmit what died."""
        if not tasks:
            return
        executor = self.executor()
        setup_fn = env.make_setup_fn()
        size = self.shards_per_job
        groups = (bundle(tasks, self.n_workers) if size is None else
                  [tasks[i:i + size] for i in range(0, len(tasks), size)])
        queue = deque(_Chunk(group) for group in groups)
        self._last_activity = time.monotonic()
        progress = ProgressFiles(self.folder / "progress" / uuid.uuid4().hex[:8])
        progress.directory.mkdir(parents=True, exist_ok=True)
        try:
            while queue or self._running:
                self._submit(executor, queue, setup_fn, str(progress.directory))
                progress.replay(on_item)
                if self._poll(queue, on_result):
                    continue
                time.sleep(POLL_S)
            progress.replay(on_item)  # the last jobs' final counts
        finally:
            self._cancel_running()
            shutil.rmtree(progress.directory, ignore_errors=True)

    def _submit(self, executor: Any, queue: deque[_Chunk], setup_fn: Any,
                progress_dir: str) -> None:
        free = len(queue) if self.cluster == "slurm" else self.n_workers - len(self._running)
        chunks = [queue.popleft() for _ in range(min(free, len(queue)))]
        if not chunks:
            return
        from submitit.core.utils import FailedJobError

        try:
            jobs = executor.map_array(run_job, [c.tasks for c in chunks],
                                      [setup_fn] * len(chunks), [progress_dir] * len(chunks))
        except FailedJobError as exc:
            raise ConfigError(
                f"parallel.env={self.name}: the scheduler rejected the job submission: "
                f"{str(exc).strip()}\nFix parallel.options (slurm_partition, mem_gb, "
                "timeout_min, slurm_account, ...) and rerun.") from exc
        self._running.update(zip(jobs, chunks, strict=True))
        log.info("submitted %d %s job(s) (%s)", len(jobs), self.name,
                 ", ".join(sorted({j.job_id.split("_")[0] for j in jobs})))

    def _poll(self, queue: deque[_Chunk], on_result: ResultFn) -> bool:
        """Handle every finished job; returns True if any finished."""
        self._refresh_states()
        finished = [job for job in list(self._running) if job.done()]
        for job in finished:
            chunk = self._running.pop(job)
            reported: set[int] = set()
            if job.paths.result_pickle.exists():
                report = _report(job, on_result)
                if not report.terminated:
                    continue
                reported = {result.shard_id for result in report.results}
            self._recover(job, chunk, queue, on_result, reported)
        if finished or any(_started(job) for job in self._running):
            self._last_activity = time.monotonic()
        self._check_pending()
        return bool(finished)

    def _refresh_states(self) -> None:
        """One ``sacct`` call for all jobs every few seconds (submitit's own backs off)."""
        now = time.monotonic()
        if self.cluster == "slurm" and self._running and now - self._last_refresh > (
                STATE_REFRESH_S):
            next(iter(self._running)).watcher.update()
            self._last_refresh = now

    def _recover(self, job: Any, chunk: _Chunk, queue: deque[_Chunk],
                 on_result: ResultFn, reported: set[int]) -> None:
        """A job died or was stopped early: keep its done shards, resubmit the others."""
        left: list[ShardTask] = []
        for task in chunk.tasks:
            if task.shard.id in reported:
                continue
            marker = _done_marker(task)
            if marker is None:
                left.append(task)
            else:
                on_result(ShardResult(task.shard.id, marker))
        if not left:
            return
        shard_ids = [t.shard.id for t in left]
        state = job.state
        if chunk.attempts >= self.job_retries:
            raise BackendError(
                f"shards {shard_ids} were lost with {chunk.attempts + 1} jobs (last: "
                f"{job.job_id}, state {state}; log {job.paths.stderr}). Finished shards are "
                "kept: fix the cause (memory? time limit?) and rerun the same command to "
                "resume, or raise parallel.options.job_retries.")
        log.warning("job %s ended (%s) before finishing shards %s; resubmitting (%d/%d)",
                    job.job_id, state, shard_ids, chunk.attempts + 1, self.job_retries)
        queue.append(_Chunk(left, chunk.attempts + 1))

    def _check_pending(self) -> None:
        waited = time.monotonic() - self._last_activity
        if not self._running or waited <= self.worker_timeout_s:
            return
        job_id = next(iter(self._running)).job_id
        raise BackendError(
            f"no {self.name} job has run for {waited:.0f} s (job {job_id} is still pending"
            f"{_pending_reason(job_id)}). Check parallel.options (partition, memory, time "
            "limit) and the queue; raise parallel.worker_timeout_s if your queue is slow.")

    def _cancel_running(self) -> None:
        jobs, self._running = list(self._running), {}
        if self.cluster == "local":
            for job in jobs:
                _stop_local_job(job)
            return
        arrays = sorted({job.job_id.split("_")[0] for job in jobs})
        if arrays:
            subprocess.run(["scancel", *arrays], capture_output=True, timeout=30, check=False)

    def close(self) -> None:
        """Cancel jobs still running (idempotent)."""
        self._cancel_running()
        self._executor = None


def _stop_local_job(job: Any) -> None:
    """SIGTERM to a running ``submitit_local`` job's controller (pid = job id, see
    tests/backends/test_private_apis.py), which forwards it to the task. submitit's
    ``cancel()`` sends SIGINT: the controller's traceback reached the user's terminal."""
    if job.state != "RUNNING":
        return
    with contextlib.suppress(ProcessLookupError, ValueError):
        os.kill(int(job.job_id), signal.SIGTERM)


def _report(job: Any, on_result: ResultFn) -> JobReport:
    from submitit.core.utils import FailedJobError

    try:
        report: JobReport = job.result()
    except FailedJobError as exc:  # the job failed outside run_job (e.g. an import error)
        raise BackendError(f"job {job.job_id} failed: {exc}") from exc
    for pickle in (job.paths.submitted_pickle, job.paths.result_pickle):
        pickle.unlink(missing_ok=True)  # the logs stay
    for result in report.results:
        on_result(result)
    if report.error is not None:
        raise report.error
    return report


def _done_marker(task: ShardTask) -> dict[str, Any] | None:
    if not task.store_root:
        return None
    return ShardStore(task.store_root).done_marker(task.shard.id, task.plan_hash)


def _started(job: Any) -> bool:
    return str(job.state).split(" ")[0].upper() not in NOT_STARTED


def _pending_reason(job_id: str) -> str:
    try:
        out = subprocess.run(["squeue", "-h", "-o", "%T %r", "-j", job_id.split("_")[0]],
                             capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = out.strip().splitlines()
    return f"; squeue says: {lines[0]}" if lines else ""
