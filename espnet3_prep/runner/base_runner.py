"""``BaseRunner``: one static ``forward(idx, *, dataset, model, **env)``, run anywhere.

``runner(indices)`` plans the indices into shards, runs them on the backend chosen by
:func:`espnet3_prep.parallel.set_parallel` (in-process by default) and returns the kept
results **in input order**. ``None`` results are filtered out and counted;
:class:`~espnet3_prep.runner.sinks.Dropped` results are dropped with a reason.

With ``work_dir`` set, shards are persistent: each writes its results and a done
marker under ``work_dir/shards``, a rerun skips done shards, and a different plan is
refused (see :mod:`espnet3_prep.shards`). An optional ``shard_cost`` hint makes
multi-worker backends start the costliest shards first (see
:mod:`espnet3_prep.runner.schedule`); results are merged in shard order either way.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from espnet3_prep.errors import ConfigError
from espnet3_prep.progress import ItemProgress
from espnet3_prep.runner.env_provider import EnvironmentProvider
from espnet3_prep.runner.execute import ON_ERROR_CHOICES, ShardResult, ShardTask
from espnet3_prep.runner.schedule import ShardCostFn, longest_first
from espnet3_prep.runner.sinks import RESULTS_FILE, ShardSink, read_jsonl
from espnet3_prep.shards import (
    Shard,
    ShardStore,
    auto_shard_size,
    ensure_plan,
    make_plan_record,
    plan_shards,
)

log = logging.getLogger(__name__)
_env_keys = itertools.count()


@dataclass
class RunOutcome:
    """Everything one ``runner.run(indices)`` produced, in shard order."""

    shards: list[ShardResult]
    counts: Counter[str] = field(default_factory=Counter)
    drop_reasons: Counter[str] = field(default_factory=Counter)
    store: ShardStore | None = None

    def results(self) -> list[Any]:
        """Kept results in input order (read back from shard files when persistent)."""
        if self.store is None:
            return [res for shard in self.shards for _, res in shard.results or []]
        out: list[Any] = []
        for shard in self.shards:
            rows = read_jsonl(self.store.shard_dir(shard.shard_id) / RESULTS_FILE)
            out.extend(row["result"] for row in rows)
        return out

    def errors(self) -> list[dict[str, Any]]:
        """Failed items (memory mode; persistent runs keep them in errors.jsonl)."""
        return [err for shard in self.shards for err in shard.errors or []]


class BaseRunner(ABC):
    """Runs a static ``forward`` over indices, locally or on any configured backend."""

    def __init__(
        self,
        provider: EnvironmentProvider,
        *,
        batch_size: int | None = None,
        async_mode: bool = False,
        async_specs_dir: str | Path | None = None,
        async_result_dir: str | Path | None = None,
        shard_size: int | None = None,
        work_dir: str | Path | None = None,
        resume: bool = True,
        on_error: str = "record",
        retries: int = 0,
        max_failures: float | None = None,
        item_timeout_s: float | None = None,
        retry_failed: bool = False,
        plan_key: dict[str, Any] | None = None,
        progress: bool = True,
        description: str = "items",
        shard_cost: ShardCostFn | None = None,
    ) -> None:
        _check_arguments(batch_size, shard_size, on_error)
        self.provider = provider
        self.batch_size = batch_size
        self.async_mode = async_mode
        self.async_specs_dir = async_specs_dir
        self.async_result_dir = async_result_dir
        self.shard_size = shard_size
        self.work_dir = Path(work_dir).absolute() if work_dir is not None else None
        self.resume = resume
        self.on_error = on_error
        self.retries = retries
        self.max_failures = max_failures
        self.item_timeout_s = item_timeout_s
        self.retry_failed = retry_failed
        self.plan_key = plan_key
        self.progress = progress
        self.description = description
        self.shard_cost = shard_cost  # submission order hint (costliest shard first)
        self._local_env: dict[str, Any] | None = None
        self._env_key = f"{type(self).__name__}-{next(_env_keys)}-{id(self):x}"
        if async_mode and async_result_dir is None and work_dir is None:
            raise ConfigError("async_mode=True needs async_result_dir=... (the folder that "
                              "receives each shard's results.jsonl and DONE marker)")

    # ----------------------------------------------------------------- user API
    @staticmethod
    @abstractmethod
    def forward(idx: Any, *, dataset: Any, model: Any, **env: Any) -> Any:
        """Process one index (or a list of indices when ``batch_size`` is set)."""

    @classmethod
    def open_sink(cls, directory: Path | None, options: dict[str, Any]) -> ShardSink:
        """The sink receiving this runner's item outcomes (override to write more)."""
        return ShardSink(directory, options)

    @classmethod
    def item_label(cls, idx: int, env: dict[str, Any]) -> str | None:
        """A readable id for error records (``dataset[idx]["utt_id"]`` when available)."""
        try:
            item = env["dataset"][idx]
            return str(item.get("utt_id")) if isinstance(item, dict) else None
        except Exception:  # noqa: BLE001 - a label is best effort
            return None

    def __call__(self, indices: Iterable[int]) -> list[Any]:
        """Run ``forward`` over ``indices``; kept results in input order.

        With ``async_mode=True`` nothing runs here: one JSON spec per shard is written, the
        jobs are submitted and a list of ``{job_id, spec, result, shard, state}`` dicts is
        returned at once (see :mod:`espnet3_prep.detached`).
        """
        if self.async_mode:
            from espnet3_prep.detached.submit import submit_runner

            return submit_runner(self, indices)
        return self.run(indices).results()

    # ----------------------------------------------------------------- execution
    def run(self, indices: Iterable[int], sink_options: dict[str, Any] | None = None
            ) -> RunOutcome:
        """Plan, execute and collect; returns summaries (and results) in shard order."""
        from espnet3_prep.parallel import get_backend

        backend = get_backend()
        items = list(indices)
        size = self.shard_size or auto_shard_size(len(items), backend.n_workers)
        shards = plan_shards(items, size)
        store, plan_hash = self._prepare_store(shards)
        tasks = [self._task(shard, store, plan_hash, sink_options) for shard in shards]
        outcome = RunOutcome([], store=store)
        progress = ItemProgress(len(items), self.description, enabled=self.progress)
        collected: dict[int, ShardResult] = {}
        with progress:
            pending = longest_first(self._skip_done(tasks, store, plan_hash, collected,
                                                    progress), self.shard_cost,
                                    backend.n_workers)
            backend.run(pending, self._env_source(),
                        lambda res: self._collect(res, collected, progress), progress.item)
        outcome.shards = [collected[s.id] for s in shards]
        for shard in outcome.shards:
            outcome.counts.update(shard.summary.get("counts", {}))
            outcome.drop_reasons.update(shard.summary.get("drop_reasons", {}))
        self.last_outcome = outcome
        self._log_counts(outcome)
        return outcome

    def _prepare_store(self, shards: list[Shard]) -> tuple[ShardStore | None, str | None]:
        if self.work_dir is None:
            return None, None
        store = ShardStore(self.work_dir)
        return store, ensure_plan(store, make_plan_record(self.plan_key_dict(), shards),
                                  self.resume)

    def plan_key_dict(self) -> dict[str, Any]:
        """What the outputs depend on: ``plan_key``, else runner, provider and batch size."""
        return self.plan_key if self.plan_key is not None else {
            "runner": f"{type(self).__module__}.{type(self).__qualname__}",
            "provider": self.provider.fingerprint(), "batch_size": self.batch_size}

    def _task(self, shard: Shard, store: ShardStore | None, plan_hash: str | None,
              sink_options: dict[str, Any] | None) -> ShardTask:
        return ShardTask(type(self), shard, str(store.root) if store else None, plan_hash,
                         self.batch_size, self.on_error, self.retries, dict(sink_options or {}),
                         self.item_timeout_s)

    def _skip_done(self, tasks: list[ShardTask], store: ShardStore | None,
                   plan_hash: str | None, collected: dict[int, ShardResult],
                   progress: ItemProgress) -> list[ShardTask]:
        if store is None or plan_hash is None:
            return tasks
        pending = []
        for task in tasks:
            if not store.is_done(task.shard.id, plan_hash):
                pending.append(task)
                continue
            marker = store.read_marker(task.shard.id) or {}
            if self.retry_failed and marker.get("counts", {}).get("failed"):
                from espnet3_prep.runner.retry import failed_indices

                retry = failed_indices(store, task.shard.id)
                pending.append(dataclasses.replace(task, retry_indices=retry))
                progress.skip({"kept": len(task.shard.indices) - len(retry)})
                continue
            collected[task.shard.id] = ShardResult(task.shard.id, marker, skipped=True)
            progress.skip(marker.get("counts", {}))
        if len(pending) < len(tasks):
            log.info("resuming: %d of %d shards already done", len(tasks) - len(pending),
                     len(tasks))
        return pending

    def _collect(self, result: ShardResult, collected: dict[int, ShardResult],
                 progress: ItemProgress) -> None:
        collected[result.shard_id] = result
        progress.shard_done(result.summary.get("counts", {}))
        self._check_failure_budget(collected)

    def _check_failure_budget(self, collected: dict[int, ShardResult]) -> None:
        if self.max_failures is None:
            return
        from espnet3_prep.errors import FailureBudgetExceeded

        failed = sum(r.summary.get("counts", {}).get("failed", 0) for r in collected.values())
        seen = sum(r.summary.get("num_items", 0) for r in collected.values())
        limit = self.max_failures * seen if 0 < self.max_failures < 1 else self.max_failures
        if failed > limit:
            raise FailureBudgetExceeded(
                f"{failed} items failed (runner.max_failures={self.max_failures}); stopping. "
                "Finished shards are kept; see errors.jsonl, fix the inputs and rerun."
            )

    def _env_source(self) -> Any:
        from espnet3_prep.backends import EnvSource

        return EnvSource(self._env_key, self.provider.worker_setup_fn, self._build_local_env)

    def _build_local_env(self) -> dict[str, Any]:
        if self._local_env is None:
            from espnet3_prep.runner.execute import limit_threads

            limit_threads()
            self._local_env = self.provider.build_env_local()
        return self._local_env

    def _log_counts(self, outcome: RunOutcome) -> None:
        counts = outcome.counts
        log.info("%s: %d kept, %d filtered, %d dropped, %d failed", self.description,
                 counts["kept"], counts["filtered"], counts["dropped"], counts["failed"])


def _check_arguments(batch_size: int | None, shard_size: int | None, on_error: str) -> None:
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    if shard_size is not None and shard_size <= 0:
        raise ValueError(f"shard_size must be a positive integer or None, got {shard_size}")
    if on_error not in ON_ERROR_CHOICES:
        raise ConfigError(f"runner.on_error={on_error!r}; choose one of {ON_ERROR_CHOICES}")
