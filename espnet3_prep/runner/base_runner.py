"""``BaseRunner``: one static ``forward(idx, *, dataset, model, **env)``, run anywhere.

``runner(indices)`` plans the indices into shards, runs them on the backend chosen by
:func:`espnet3_prep.parallel.set_parallel` (in-process by default) and returns the kept
results **in input order**. ``None`` results are filtered out and counted;
:class:`~espnet3_prep.execution.sinks.Dropped` results are dropped with a reason.

This is the spec's API and only that: the keyword arguments become one frozen
:class:`~espnet3_prep.driver.options.RunOptions`, and the driver does the rest
(:func:`~espnet3_prep.driver.run.run_sync`, or
:func:`~espnet3_prep.driver.submit.submit_detached` with ``async_mode=True``).

With ``work_dir`` set, shards are persistent: each writes its results and a done
marker under ``work_dir/shards``, a rerun skips done shards, and a different plan is
refused (see :mod:`espnet3_prep.storage.shards`). An optional ``shard_cost`` hint makes
multi-worker backends start the costliest shards first (see
:mod:`espnet3_prep.driver.schedule`); results are merged in shard order either way.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from espnet3_prep.backends.base import EnvSource
from espnet3_prep.driver.options import RunOptions
from espnet3_prep.driver.run import RunOutcome, RunRequest, run_sync
from espnet3_prep.driver.schedule import ShardCostFn
from espnet3_prep.driver.submit import DetachedRequest, submit_detached
from espnet3_prep.execution.sinks import ShardSink
from espnet3_prep.execution.threads import limit_threads
from espnet3_prep.parallel import get_backend, get_parallel_config
from espnet3_prep.runner.env_provider import EnvironmentProvider

_env_keys = itertools.count()
LOCAL_PARALLEL = {"env": "none", "n_workers": 1, "options": {}}

__all__ = ["BaseRunner", "RunOutcome"]


class BaseRunner(ABC):
    """Runs a static ``forward`` over indices, locally or on any configured backend.

    Every option is also readable as an attribute (``runner.batch_size``, ...), from
    :attr:`options`."""

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
        options: RunOptions | None = None,
    ) -> None:
        if options is None:
            options = RunOptions(
                batch_size=batch_size, shard_size=shard_size, work_dir=_path(work_dir),
                resume=resume, on_error=on_error, retries=retries, max_failures=max_failures,
                item_timeout_s=item_timeout_s, retry_failed=retry_failed, progress=progress,
                description=description, async_mode=async_mode,
                async_specs_dir=_path(async_specs_dir),
                async_result_dir=_path(async_result_dir))
        self.options = options
        self.provider = provider
        self.plan_key = plan_key
        self.shard_cost = shard_cost  # submission order hint (costliest shard first)
        self.last_outcome: RunOutcome | None = None
        self._local_env: dict[str, Any] | None = None
        self._env_key = f"{type(self).__name__}-{next(_env_keys)}-{id(self):x}"

    def __getattr__(self, name: str) -> Any:
        options = self.__dict__.get("options")
        if options is not None and name in RunOptions.__dataclass_fields__:
            return getattr(options, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # ----------------------------------------------------------------- user API
    @staticmethod
    @abstractmethod
    def forward(idx: Any, *, dataset: Any, model: Any, **env: Any) -> Any:
        """Process one index (or a list of indices when ``batch_size`` is set)."""

    @classmethod
    def open_sink(cls, directory: Path | None, options: dict[str, Any]) -> ShardSink:
        """The sink receiving this runner's item outcomes (override to write more)."""
        return ShardSink(directory, options)

    def sink_defaults(self) -> dict[str, Any]:
        """Options every shard's sink gets unless ``run``/``submit(sink_options=...)``
        override them (JSON-able: detached jobs read them from their spec)."""
        return {}

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
        returned at once (see :mod:`espnet3_prep.backends.detached`).
        """
        if self.options.async_mode:
            return self.submit(indices)
        return self.run(indices).results()

    # ----------------------------------------------------------------- execution
    def run(self, indices: Iterable[int], sink_options: dict[str, Any] | None = None
            ) -> RunOutcome:
        """Plan, execute and collect; returns summaries (and results) in shard order."""
        request = RunRequest(type(self), self.options, self.plan_key_dict(),
                             self._env_source(), self.shard_cost,
                             {**self.sink_defaults(), **(sink_options or {})})
        self.last_outcome = run_sync(request, indices, get_backend())
        return self.last_outcome

    def submit(self, indices: Iterable[int], sink_options: dict[str, Any] | None = None
               ) -> list[dict[str, Any]]:
        """Submit the shards not done yet as detached jobs (``async_mode``)."""
        request = DetachedRequest(type(self), self.provider, self.options,
                                  self.plan_key_dict(),
                                  {**self.sink_defaults(), **(sink_options or {})})
        return submit_detached(request, indices, get_parallel_config() or LOCAL_PARALLEL)

    def plan_key_dict(self) -> dict[str, Any]:
        """What the outputs depend on: ``plan_key``, else runner, provider and batch size."""
        return self.plan_key if self.plan_key is not None else {
            "runner": f"{type(self).__module__}.{type(self).__qualname__}",
            "provider": self.provider.fingerprint(), "batch_size": self.options.batch_size}

    def _env_source(self) -> EnvSource:
        return EnvSource(self._env_key, self.provider.worker_setup_fn, self._build_local_env)

    def _build_local_env(self) -> dict[str, Any]:
        # a provider with reset_env() caches its env itself (InferenceProvider): ask it each
        # time, so its rebuild/reset_env take effect; others are cached on the runner
        if self._local_env is None:
            limit_threads()
        if self._local_env is None or hasattr(self.provider, "reset_env"):
            self._local_env = self.provider.build_env_local()
        return self._local_env


def _path(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)
