"""The job side of the submitit backend: :func:`run_job` runs in every submitit job (an
array task on SLURM) and returns a :class:`JobReport` to the driver through submitit's
result pickle."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from espnet3_prep.errors import Terminated, raise_terminated
from espnet3_prep.execution.file_progress import FileProgress
from espnet3_prep.execution.shard import run_shard
from espnet3_prep.execution.task import ShardResult, ShardTask
from espnet3_prep.execution.threads import limit_threads

log = logging.getLogger(__name__)


@dataclass
class JobReport:
    """What one job returns: its shards' results, the error that stopped it, if any, and
    whether SIGTERM (scancel, preemption) stopped it before its last shard."""

    results: list[ShardResult]
    error: BaseException | None = None
    terminated: bool = False


def run_job(tasks: list[ShardTask], setup_fn: Callable[[], dict[str, Any]],
            progress_dir: str | None = None) -> JobReport:
    """Job body: build the env once, then run every shard (stops at the first error).

    SIGTERM stops the job between items instead of submitit's default of ignoring it
    until SIGKILL: the shard in progress is aborted and the driver resubmits it."""
    limit_threads()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, raise_terminated)
    results: list[ShardResult] = []
    try:
        env = setup_fn()
        for task in tasks:
            progress = FileProgress(Path(progress_dir) / f"{task.shard.name}.json"
                                    ) if progress_dir else None
            results.append(run_shard(task, env, progress))
            if progress is not None:
                progress.flush()
    except Terminated:
        log.warning("SIGTERM: stopped after %d of %d shard(s); the driver resubmits the rest",
                    len(results), len(tasks))
        return JobReport(results, terminated=True)
    except Exception as exc:  # noqa: BLE001 - shipped to the driver and raised there
        return JobReport(results, exc)
    return JobReport(results)
