"""The worker side of the Dask backend: the env plugin and the task body.

:class:`EnvPlugin` builds the provider's env once per worker process (in the worker's
first shard, never on its event loop); :func:`run_on_worker` is the body of every Dask
task: it runs a bundle of shards and reports per-item progress as batched worker events.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from espnet3_prep.errors import BackendError
from espnet3_prep.execution.shard import run_shard
from espnet3_prep.execution.task import ShardResult, ShardTask
from espnet3_prep.execution.threads import limit_threads


class EnvPlugin:
    """Worker plugin that builds the provider's env once per worker process.

    The env is built by the worker's first shard, in its compute thread, not in
    :meth:`setup`: ``setup`` runs on the worker's event loop, which a large dataset
    (seconds to scan) would block, and ``register_plugin`` waits for every worker's
    ``setup`` before the first shard could even be submitted."""

    idempotent = False

    def __init__(self, setup_fn: Any) -> None:
        self.setup_fn = setup_fn
        self.env: dict[str, Any] | None = None
        self._lock = threading.Lock()  # workers with nthreads > 1 build it once too

    def __getstate__(self) -> dict[str, Any]:
        return {"setup_fn": self.setup_fn}  # shipped to workers without env or lock

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["setup_fn"])  # type: ignore[misc]

    def setup(self, worker: Any) -> None:
        """Called by the worker when the plugin is registered or the worker starts."""
        limit_threads()

    def get_env(self) -> dict[str, Any]:
        """This worker's env, built on first use (one compute thread per worker)."""
        with self._lock:
            if self.env is None:
                self.env = self.setup_fn()
            return self.env

    def teardown(self, worker: Any) -> None:
        """Drop the env with the plugin."""
        self.env = None


def as_worker_plugin(setup_fn: Any) -> Any:
    """An :class:`EnvPlugin` that is also a Dask ``WorkerPlugin`` (imported late: the
    driver of a non-Dask run never imports ``distributed``)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class _Plugin(EnvPlugin, WorkerPlugin):
        pass

    return _Plugin(setup_fn)


def run_on_worker(tasks: list[ShardTask], plugin_name: str, topic: str
                  ) -> list[ShardResult]:
    """Task body: fetch this worker's env and run the shards, reporting progress."""
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins.get(plugin_name)
    if plugin is None:
        raise BackendError(f"worker {worker.address} has no env plugin {plugin_name}")
    env = plugin.get_env()
    reporter = _EventReporter(worker, topic)
    try:
        return [run_shard(task, env, reporter) for task in tasks]
    finally:
        reporter.flush()


class _EventReporter:
    """Batches item outcomes into worker events (at most a few per second)."""

    def __init__(self, worker: Any, topic: str) -> None:
        self.worker, self.topic = worker, topic
        self.pending: Counter[str] = Counter()
        self.last = time.monotonic()

    def __call__(self, outcome: str) -> None:
        self.pending[outcome] += 1
        if time.monotonic() - self.last >= 0.25:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.worker.log_event(self.topic, dict(self.pending))
            self.pending.clear()
        self.last = time.monotonic()
