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

import inspect
import itertools
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from espnet3_prep.backends.base import EnvSource
from espnet3_prep.backends.detached.specs import IMPORT_ONLY_VAR, stable_class_name
from espnet3_prep.driver.options import RunOptions
from espnet3_prep.driver.run import RunOutcome, RunRequest, run_sync
from espnet3_prep.driver.schedule import ShardCostFn
from espnet3_prep.driver.submit import DetachedRequest, result_root, submit_detached
from espnet3_prep.errors import ConfigError, IncompleteShardsError
from espnet3_prep.execution.runtime_env import (
    WithRuntimeKwargs,
    check_runtime_kwargs,
    merge_runtime_kwargs,
)
from espnet3_prep.execution.sinks import ShardSink
from espnet3_prep.execution.threads import limit_threads
from espnet3_prep.parallel import current_parallel_config, get_backend
from espnet3_prep.runner.env_provider import EnvironmentProvider
from espnet3_prep.runner.failures import report_failures
from espnet3_prep.runner.writer_hooks import (
    HOOK_ENV,
    HookSink,
    concatenate_shard_files,
    uses_writer_hooks,
)
from espnet3_prep.storage.shards import ShardStore

_env_keys = itertools.count()

__all__ = ["BaseRunner", "RunOutcome", "concatenate_shard_files"]


class BaseRunner(ABC):
    """Runs a static ``forward`` over indices, locally or on any configured backend.

    Every option is also readable as an attribute (``runner.batch_size``, ...), from
    :attr:`options`. A failed item raises (``on_error="raise"``, as in ESPnet3) unless
    ``on_error="record"`` or the class sets ``default_on_error = "record"``."""

    default_on_error: str = "raise"
    """``on_error`` when the constructor is not given one (the CLI passes its own)."""

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
        on_error: str | None = None,
        retries: int = 0,
        max_failures: float | None = None,
        item_timeout_s: float | None = None,
        retry_failed: bool = False,
        plan_key: dict[str, Any] | None = None,
        progress: bool = True,
        description: str = "items",
        shard_cost: ShardCostFn | None = None,
        options: RunOptions | None = None,
        output_dir: str | Path | None = None,
        shard_subdir: str = "",
        **runtime_kwargs: Any,
    ) -> None:
        self.output_dir = _path(output_dir)
        self.shard_subdir = shard_subdir or ""
        work_dir = _shard_root(self.output_dir, self.shard_subdir, work_dir)
        if options is None:
            options = RunOptions(
                batch_size=batch_size, shard_size=shard_size, work_dir=_path(work_dir),
                resume=resume, on_error=on_error or self.default_on_error, retries=retries,
                max_failures=max_failures, item_timeout_s=item_timeout_s,
                retry_failed=retry_failed, progress=progress, description=description,
                async_mode=async_mode, async_specs_dir=_path(async_specs_dir),
                async_result_dir=_path(async_result_dir))
        self.options = options
        self.provider = provider
        self.plan_key = plan_key
        self.shard_cost = shard_cost  # submission order hint (costliest shard first)
        self.runtime_kwargs = check_runtime_kwargs(provider, runtime_kwargs)
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
        if uses_writer_hooks(cls, BaseRunner):
            return HookSink(cls, directory, options)
        return ShardSink(directory, options)

    # ESPnet3's 2026 per-shard writer hooks (see runner/writer_hooks.py)
    @staticmethod
    def open_writers(shard_dir: Path | None, **env: Any) -> dict[str, Any]:
        """Open per-shard writers in ``shard_dir`` (the shard's temp folder); none by default."""
        return {}

    @staticmethod
    def write_record(writers: dict[str, Any], result: Any, state: dict[str, Any],
                     **env: Any) -> None:
        """Persist one kept result; by default keep it in ``state["records"]``."""
        state.setdefault("records", []).append(result)

    @staticmethod
    def close_writers(writers: dict[str, Any]) -> dict[str, Any] | None:
        """Close every writer that has ``close()``; may return JSON metadata."""
        for writer in writers.values():
            close = getattr(writer, "close", None)
            if callable(close):
                close()
        return None

    def merge(self, shard_dirs: list[Path]) -> Any:
        """Combine the shards (folders in plan order); what ``runner(indices)`` returns.
        None by default: no SCP, TSV or JSONL is written unless your runner writes it."""
        return None

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
        if os.environ.get(IMPORT_ONLY_VAR):
            raise ConfigError(
                f"{type(self).__name__} was called while its script was being imported by a "
                "detached job (or by the submit-time import check). Fix: put the code that "
                "runs the runner under `if __name__ == \"__main__\":` in your script.")
        hooks = uses_writer_hooks(type(self), BaseRunner)
        sink_options = self._hook_options() if hooks else None
        if self.options.async_mode:
            return self.submit(indices, sink_options)
        outcome = self.run(indices, sink_options)
        report_failures(outcome, type(self).__name__)
        if not hooks:
            return outcome.results()
        store = outcome.store
        return self.merge([] if store is None else
                          [store.shard_dir(shard.shard_id) for shard in outcome.shards])

    def merge_async_results(self) -> Any:
        """``merge`` over the shards of a finished async run (all must be done)."""
        store = ShardStore(result_root(self.options))
        plan = store.read_plan() or {}
        count = int(plan.get("layout", {}).get("num_shards", 0))
        missing = [i for i in range(count) if not store.is_done(i, plan.get("plan_hash"))]
        if not plan or missing:
            raise IncompleteShardsError(
                f"{store.root}: shards {missing or 'all'} are not done yet; check them with "
                "espnet3_prep.driver.status.store_status() and merge when all are done")
        return self.merge([store.shard_dir(i) for i in range(count)])

    def _hook_options(self) -> dict[str, Any]:
        name = type(self).__name__
        if (type(self).open_writers is not BaseRunner.open_writers
                and self.options.work_dir is None and self.options.detached_root is None):
            raise ConfigError(f"{name} defines open_writers(shard_dir, ...), which needs a "
                              "folder per shard: pass output_dir=... (ESPnet3 requires it "
                              "for sharded execution) or work_dir=...")
        if self.options.retry_failed:
            raise ConfigError(f"{name}: retry_failed=True cannot be combined "
                              "with writer hooks (open_writers/write_record/merge); rerun "
                              "with resume=False after fixing the inputs")
        return {HOOK_ENV: {"output_dir": None if self.output_dir is None
                           else str(self.output_dir), "shard_subdir": self.shard_subdir}}

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
                                  {**self.sink_defaults(), **(sink_options or {})},
                                  self.runtime_kwargs)
        return submit_detached(request, indices, current_parallel_config())

    def plan_key_dict(self) -> dict[str, Any]:
        """What the outputs depend on: ``plan_key``, else runner, provider, batch size (and
        the runner's keyword arguments, when given)."""
        if self.plan_key is not None:
            return self.plan_key
        key = {"runner": stable_class_name(type(self)),
               "provider": self.provider.fingerprint(), "batch_size": self.options.batch_size}
        if self.runtime_kwargs:
            key["runtime_kwargs"] = {k: stable_repr(v)
                                     for k, v in sorted(self.runtime_kwargs.items())}
        return key

    def _env_source(self) -> EnvSource:
        return EnvSource(self._env_key, self._worker_setup_fn, self._build_local_env)

    def _worker_setup_fn(self) -> Callable[[], dict[str, Any]]:
        setup = self.provider.worker_setup_fn()
        return WithRuntimeKwargs(setup, self.runtime_kwargs) if self.runtime_kwargs else setup

    def _build_local_env(self) -> dict[str, Any]:
        # a provider with reset_env() caches its env itself (InferenceProvider): ask it each
        # time, so its rebuild/reset_env take effect; others are cached on the runner
        if self._local_env is None:
            limit_threads()
        if self._local_env is None or hasattr(self.provider, "reset_env"):
            self._local_env = merge_runtime_kwargs(self.provider.build_env_local(),
                                                   self.runtime_kwargs)
        return self._local_env


def stable_repr(value: Any) -> str:
    """A runner keyword in the plan key: a function or class by its import path (its
    ``repr`` holds a memory address, which would change the plan on every run)."""
    if inspect.isfunction(value) or inspect.isclass(value):
        return stable_class_name(value)
    return repr(value)


def _shard_root(output_dir: Path | None, shard_subdir: str,
                work_dir: str | Path | None) -> str | Path | None:
    """The shard store's folder: ESPnet3's ``output_dir/shard_subdir``, else ``work_dir``."""
    if output_dir is None:
        return work_dir
    if work_dir is not None:
        raise ConfigError("pass output_dir= (ESPnet3's name) or work_dir=, not both: "
                          "both name the folder of the runner's shards")
    return output_dir / shard_subdir


def _path(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)
