"""In-process backend: the driver builds the env once and runs shards one by one."""

from __future__ import annotations

from espnet3_prep.backends.base import Backend, EnvSource, ResultFn
from espnet3_prep.execution.shard import run_shard
from espnet3_prep.execution.task import ProgressFn, ShardTask


class InProcessBackend(Backend):
    """Runs every shard in the calling process (``parallel=none``)."""

    name = "none"

    def run(self, tasks: list[ShardTask], env: EnvSource, on_result: ResultFn,
            on_item: ProgressFn) -> None:
        """Run tasks sequentially with the locally built, cached env."""
        built = env.local()
        for task in tasks:
            on_result(run_shard(task, built, on_item))

    def describe(self) -> str:
        """In-process execution needs no job script."""
        return "backend: none (in-process, one core)"
