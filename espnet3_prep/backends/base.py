"""The backend interface: where shards run.

A backend receives picklable :class:`~espnet3_prep.execution.task.ShardTask` objects and an
:class:`EnvSource`, runs every task with an env built once per process (always through
:func:`~espnet3_prep.execution.shard.run_shard`), and reports each
:class:`~espnet3_prep.execution.task.ShardResult` (in completion order; the driver orders
them by shard id) and each item outcome (for progress). Backends only execute: planning,
resume and the failure budget belong to :mod:`espnet3_prep.driver`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from espnet3_prep.execution.task import ProgressFn, ShardResult, ShardTask

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
