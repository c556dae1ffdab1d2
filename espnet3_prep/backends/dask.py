"""Dask backend: a LocalCluster of processes or a dask-jobqueue cluster (SLURM, PBS, ...).

- the env is built once per worker by a worker plugin (``Client.register_plugin``), by
  the worker's first shard, and is rebuilt automatically on replacement workers (the
  worker side: :mod:`~espnet3_prep.backends.dask_worker`);
- shards are submitted as tasks in the runner's order (task priorities; the runner puts
  the costliest first) and Dask balances them over the workers; a
  task lost with its worker is rerun by Dask, and since a shard only counts as done by
  its marker, nothing is lost or duplicated;
- per-item progress comes back through ``Worker.log_event`` / ``Client.subscribe_topic``;
- finished shards are fetched in one ``Client.gather`` per wake-up;
- a watchdog replaces silent hangs with errors: no worker ever arriving (e.g. a rejected
  ``sbatch``) or every worker gone for longer than ``worker_timeout_s`` (checked every
  ``LIVENESS_S`` while workers are up, at every wake-up once they are gone).
"""

from __future__ import annotations

import logging
import queue
import time
import uuid
from typing import Any

from espnet3_prep.backends.base import Backend, EnvSource, ResultFn
from espnet3_prep.backends.bundles import bundle
from espnet3_prep.backends.dask_cluster import build_cluster
from espnet3_prep.backends.dask_worker import as_worker_plugin, run_on_worker
from espnet3_prep.backends.jobqueue import (
    SubmissionErrors,
    precheck_submission,
    render_job_script,
)
from espnet3_prep.errors import BackendError, ConfigError
from espnet3_prep.execution.task import ProgressFn, ShardTask

log = logging.getLogger(__name__)
POLL_S = 0.5
LIVENESS_S = 2.0
"""Seconds between two checks that some worker is still connected (a scheduler round trip)."""


class DaskBackend(Backend):
    """Runs shards on a Dask cluster built once and reused until :meth:`close`."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.name = config["env"]
        self.cluster: Any = None
        self.client: Any = None
        self._plugins: dict[str, str] = {}
        self._submit_errors = SubmissionErrors()

    @property
    def n_workers(self) -> int:
        """Configured number of workers."""
        return int(self.config.get("n_workers", 1))

    def start(self) -> Any:
        """Build the cluster and client (once) and wait for the first worker."""
        if self.client is not None:
            return self.client
        from distributed import Client

        self.cluster = build_cluster(self.config)
        try:
            precheck_submission(self.name, self.cluster)
        except ConfigError:
            self.close()
            raise
        if self.name != "local":
            self._submit_errors.attach()
        if self.config.get("adapt", self.name != "local"):
            self.cluster.adapt(minimum=self.n_workers, maximum=self.n_workers)
        elif self.name != "local":
            self.cluster.scale(self.n_workers)
        self.client = Client(self.cluster)
        self._wait_first_worker()
        return self.client

    def _wait_first_worker(self) -> None:
        """Wait for a worker; a submission the scheduler rejects fails within a second."""
        timeout = float(self.config.get("worker_timeout_s", 120))
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.client.wait_for_workers(1, timeout=POLL_S * 2)
                return
            except TimeoutError:
                pass
            rejected = self._submit_errors.messages
            if rejected or time.monotonic() > deadline:
                self.close()
            if rejected:
                raise ConfigError(
                    f"parallel.env={self.name}: the scheduler rejected the worker job: "
                    f"{rejected[-1]}\nFix parallel.options (queue, account, memory, walltime, "
                    "job_extra_directives) and rerun; `action=plan` prints the job script.")
            if time.monotonic() > deadline:
                raise BackendError(
                    f"no Dask worker of parallel.env={self.name} started within "
                    f"{timeout:.0f} s. Check parallel.options (queue/partition, memory, "
                    "walltime) and the scheduler logs; raise parallel.worker_timeout_s if your "
                    "queue is slow.")

    def describe(self) -> str:
        """The job script dask-jobqueue would submit (or the local cluster shape)."""
        if self.name == "local":
            local = self.config.get("options") or {}
            kind = "processes" if local.get("processes", True) else "threads in this process"
            return f"backend: local Dask cluster, {self.n_workers} worker {kind} x 1 thread"
        return render_job_script(self.config)

    def run(self, tasks: list[ShardTask], env: EnvSource, on_result: ResultFn,
            on_item: ProgressFn) -> None:
        """Submit every shard and report results as they finish."""
        if not tasks:
            return
        client = self.start()
        plugin_name = self._ensure_plugin(env)
        topic = f"espnet3-prep-progress-{uuid.uuid4().hex[:8]}"
        client.subscribe_topic(topic, lambda event: _replay(event, on_item))
        # one Dask task per bundle of shards; higher priorities run first: keep the
        # order the runner chose (longest first)
        bundles = bundle(tasks, self.n_workers)
        futures = [client.submit(run_on_worker, group, plugin_name, topic, pure=False,
                                 priority=len(bundles) - rank,
                                 key=f"shards-{group[0].shard.id:05d}-x{len(group)}-"
                                     f"{uuid.uuid4().hex[:6]}")
                   for rank, group in enumerate(bundles)]
        try:
            self._gather(futures, on_result)
        finally:
            client.cancel(futures)  # stops unfinished shards, releases finished ones
            client.unsubscribe_topic(topic)

    def _ensure_plugin(self, env: EnvSource) -> str:
        """The worker plugin holding ``env``; only the latest env is kept on the workers
        (a multi-split run would otherwise keep every split's dataset in every worker)."""
        name = self._plugins.get(env.key)
        if name is None:
            for old in self._plugins.values():
                self.client.unregister_worker_plugin(old)
            self._plugins.clear()
            name = f"espnet3-prep-env-{env.key}"
            self.client.register_plugin(as_worker_plugin(env.make_setup_fn()), name=name)
            self._plugins[env.key] = name
        return name

    def _gather(self, futures: list[Any], on_result: ResultFn) -> None:
        """Report bundles as they finish; error if every worker vanishes.

        Finished futures arrive through ``add_done_callback`` (a queue), so each wake-up
        costs O(finished), not O(pending): ``distributed.wait`` over thousands of pending
        futures per completion kept the driver's event loop busy for seconds at a time.
        A reported future is released at once (its result leaves the worker's memory).
        """
        done_queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for future in futures:
            future.add_done_callback(done_queue.put)
        remaining = len(futures)
        no_worker_since: float | None = None
        limit = float(self.config.get("worker_timeout_s", 120))
        next_check = time.monotonic() + LIVENESS_S
        while remaining:
            done = _drain(done_queue)
            if done:
                remaining -= len(done)
                self._report(done, on_result)
            if no_worker_since is not None or time.monotonic() >= next_check:
                no_worker_since = self._watch_workers(no_worker_since, limit)
                next_check = time.monotonic() + LIVENESS_S

    def _report(self, done: list[Any], on_result: ResultFn) -> None:
        """Fetch the finished bundles in one round trip; a failed one raises its error."""
        ordered = sorted(done, key=lambda f: f.key)
        finished = [f for f in ordered if f.status == "finished"]
        fetched = dict(zip([f.key for f in finished], self.client.gather(finished),
                           strict=True)) if finished else {}
        for future in ordered:
            results = fetched[future.key] if future.key in fetched else future.result()
            future.release()
            for result in results:
                on_result(result)

    def _watch_workers(self, since: float | None, limit: float) -> float | None:
        """``None`` while a worker is connected, else when they were first seen gone."""
        if self.client.scheduler_info(n_workers=-1).get("workers"):
            return None
        now = time.monotonic()
        since = since or now
        if now - since > limit:
            rejected = self._submit_errors.messages
            detail = f" The scheduler rejected a new job: {rejected[-1]}." if rejected else ""
            raise BackendError(
                f"every Dask worker has been gone for {limit:.0f} s (killed, preempted or out "
                f"of memory?).{detail} Finished shards are kept — rerun the same command to "
                "resume")
        return since

    def close(self) -> None:
        """Close client and cluster (cancels outstanding jobs)."""
        if self.cluster is not None:
            _mark_unsubmitted_jobs_failed(self.cluster)
        for obj in (self.client, self.cluster):
            if obj is not None:
                try:
                    obj.close()
                except Exception as exc:  # noqa: BLE001 - best effort at shutdown
                    log.debug("closing %s failed: %s", obj, exc)
        self.client = self.cluster = None
        self._plugins.clear()
        self._submit_errors.detach()


def _mark_unsubmitted_jobs_failed(cluster: Any) -> None:
    """A job whose submission the scheduler rejected stays ``created``; SpecCluster.close()
    asserts on it and leaves the cluster ``closing``, so interpreter exit would wait 10 s."""
    from distributed.core import Status

    # private API (SpecCluster exposes no public list of its jobs' states):
    # tests/backends/test_private_apis.py
    for job in getattr(cluster, "_created", ()):
        if job.status == Status.created:
            job.status = Status.failed


def _drain(done_queue: queue.SimpleQueue[Any]) -> list[Any]:
    """Futures finished so far: wait up to ``POLL_S`` for the first, then take the rest."""
    try:
        done = [done_queue.get(timeout=POLL_S)]
    except queue.Empty:
        return []
    while True:
        try:
            done.append(done_queue.get_nowait())
        except queue.Empty:
            return done


def _replay(event: Any, on_item: ProgressFn) -> None:
    _, counts = event if isinstance(event, tuple) else (None, event)
    for outcome, count in dict(counts).items():
        if outcome in ("kept", "filtered", "dropped", "failed"):
            for _ in range(int(count)):
                on_item(outcome)
