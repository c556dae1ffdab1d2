"""``RunOptions``: the single, typed, frozen source of truth for how a runner runs.

Built once — from ``BaseRunner``'s keyword arguments (the spec's API) or from the Hydra
``runner`` config section (:meth:`RunOptions.from_config`) — and validated there, so a
bad value fails before anything is planned or submitted, naming the option and the fix.
Everything downstream (planning, execution, detached submission) reads this object.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from espnet3_prep.errors import ConfigError
from espnet3_prep.execution.task import ON_ERROR_CHOICES

CONFIG_KEYS = ("shard_size", "batch_size", "async_mode", "async_specs_dir", "async_result_dir",
               "resume", "on_error", "retries", "max_failures", "item_timeout_s",
               "retry_failed", "progress", "verify")
"""The keys of the ``runner`` config section that are run options (the rest: ``_target_``)."""


@dataclass(frozen=True)
class RunOptions:
    """How a runner plans, executes and stores its shards (see README, *Failures*)."""

    batch_size: int | None = None
    shard_size: int | None = None
    work_dir: Path | None = None
    resume: bool = True
    on_error: str = "record"
    retries: int = 0
    max_failures: float | None = None
    item_timeout_s: float | None = None
    retry_failed: bool = False
    progress: bool = True
    verify: bool = False
    description: str = "items"
    async_mode: bool = False
    async_specs_dir: Path | None = None
    async_result_dir: Path | None = None

    def __post_init__(self) -> None:
        for name in ("work_dir", "async_specs_dir", "async_result_dir"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value).absolute())
        _check(self)

    @classmethod
    def from_config(cls, runner: Mapping[str, Any], **extra: Any) -> RunOptions:
        """Options from a ``runner`` config section (unknown keys are ignored: the schema
        already rejected them), plus ``extra`` (e.g. ``work_dir``, ``description``)."""
        values = {key: runner[key] for key in CONFIG_KEYS if key in runner}
        return cls(**values, **extra)

    def replace(self, **changes: Any) -> RunOptions:
        """A copy with ``changes`` (validated again)."""
        return dataclasses.replace(self, **changes)

    @property
    def detached_root(self) -> Path | None:
        """Where a detached run stores its shards: ``async_result_dir``, else ``work_dir``."""
        return self.async_result_dir or self.work_dir


def _check(options: RunOptions) -> None:
    if options.batch_size is not None and (
            not _is_int(options.batch_size) or options.batch_size <= 0):
        raise ConfigError(f"runner.batch_size (batch_size=) must be a positive integer or "
                          f"None, got {options.batch_size!r}")
    if options.shard_size is not None and (
            not _is_int(options.shard_size) or options.shard_size <= 0):
        raise ConfigError(f"runner.shard_size (shard_size=) must be a positive integer or "
                          f"None, got {options.shard_size!r}")
    if options.on_error not in ON_ERROR_CHOICES:
        raise ConfigError(f"runner.on_error={options.on_error!r}; choose one of "
                          f"{', '.join(ON_ERROR_CHOICES)}")
    if not isinstance(options.verify, bool):
        raise ConfigError(f"runner.verify must be true or false, got {options.verify!r}")
    if not _is_int(options.retries) or options.retries < 0:
        raise ConfigError(f"runner.retries must be an integer >= 0, got {options.retries!r}")
    if options.max_failures is not None and options.max_failures < 0:
        raise ConfigError(f"runner.max_failures must be >= 0 (a count, or a fraction below "
                          f"1), got {options.max_failures}")
    if options.item_timeout_s is not None and options.item_timeout_s < 0:
        raise ConfigError(f"runner.item_timeout_s must be a number of seconds >= 0 (0 or "
                          f"null: no limit), got {options.item_timeout_s}")
    if options.async_mode and options.async_result_dir is None and options.work_dir is None:
        raise ConfigError("async_mode=True needs async_result_dir=... (the folder that "
                          "receives each shard's results.jsonl and DONE marker)")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
