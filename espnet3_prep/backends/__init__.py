"""Execution backends: where shards run. One small file per backend.

A backend receives picklable :class:`~espnet3_prep.runner.execute.ShardTask` objects and an
:class:`EnvSource`, runs every task with an env built once per process, and reports each
:class:`~espnet3_prep.runner.execute.ShardResult` (in completion order; the runner orders
them by shard id) and each item outcome (for progress).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from espnet3_prep.runner.execute import ProgressFn, ShardResult, ShardTask

ResultFn = Callable[[ShardResult], None]


@dataclass
class EnvSource:
    """How to obtain the env: in this process (cached) or through a picklable setup fn.

    ``make_setup_fn()`` returns the provider's worker setup fn; it is only called by
    backends that ship the env build to other processes.
    """

    key: str
    make_setup_fn: Callable[[], Callable[[], dict[str, Any]]]
    local: Callable[[], dict[str, Any]]


class Backend(ABC):
    """Runs shard tasks somewhere."""

    name = "abstract"

    @abstractmethod
    def run(self, tasks: list[ShardTask], env: EnvSource, on_result: ResultFn,
            on_item: ProgressFn) -> None:
        """Run every task; call ``on_result`` per finished shard, ``on_item`` per item."""

    def close(self) -> None:
        """Release clients, clusters and jobs (idempotent)."""
        return None

    def describe(self) -> str:
        """What would be started (e.g. the job script); printed by ``action=plan``."""
        return f"backend: {self.name}"

    @property
    def n_workers(self) -> int:
        """Number of worker processes (used to size shards)."""
        return 1


def make_backend(config: dict[str, Any]) -> Backend:
    """Backend for a normalized parallel config."""
    env = config.get("env", "none")
    if env == "none":
        from espnet3_prep.backends.local import LocalBackend

        return LocalBackend()
    if env.startswith("submitit"):
        from espnet3_prep.backends.submitit import SubmititBackend

        return SubmititBackend(config)
    from espnet3_prep.backends.dask import DaskBackend

    return DaskBackend(config)
