"""``RunOptions``: the single, typed, frozen source of truth for how a runner runs.

Built once — from ``BaseRunner``'s keyword arguments (the spec's API) or from the Hydra
``runner`` config section (:meth:`RunOptions.from_config`) — and validated there, so a
bad value fails before anything is planned or submitted, naming the option and the fix.
Everything downstream (planning, execution, detached submission) reads this object.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from espnet3_prep.errors import ConfigError
from espnet3_prep.execution.task import ON_ERROR_CHOICES
from espnet3_prep.rules import boolean, check_fields, choice, integer, number, out_folder

CONFIG_KEYS = ("shard_size", "batch_size", "async_mode", "async_specs_dir", "async_result_dir",
               "resume", "on_error", "retries", "max_failures", "item_timeout_s",
               "retry_failed", "progress", "verify")
"""The keys of the ``runner`` config section that are run options (the rest: ``_target_``)."""


@dataclass(frozen=True)
class RunOptions:
    """How a runner plans, executes and stores its shards (see README, *Failures*)."""

    batch_size: int | None = field(
        default=None, metadata=integer(1, 10**6, example="16", optional=True))
    shard_size: int | None = field(
        default=None, metadata=integer(1, 10**9, example="100", optional=True))
    work_dir: Path | None = None
    resume: bool = field(default=True, metadata=boolean())
    on_error: str = field(default="record", metadata=choice(*ON_ERROR_CHOICES))
    retries: int = field(default=0, metadata=integer(0, 100, example="2"))
    max_failures: float | None = field(default=None, metadata=number(
        0, example="10 (items) or 0.01 (a fraction)", optional=True))
    item_timeout_s: float | None = field(default=None, metadata=number(
        0, 10**7, example="60 (null: no limit)", optional=True))
    retry_failed: bool = field(default=False, metadata=boolean())
    progress: bool = field(default=True, metadata=boolean())
    verify: bool = field(default=False, metadata=boolean())
    description: str = "items"
    async_mode: bool = field(default=False, metadata=boolean())
    async_specs_dir: Path | None = field(default=None, metadata=out_folder(
        example="/scratch/specs"))
    async_result_dir: Path | None = field(default=None, metadata=out_folder(
        example="/scratch/results"))

    def __post_init__(self) -> None:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name in ("async_specs_dir", "async_result_dir"):  # the rules read text
            if isinstance(values[name], Path):
                values[name] = str(values[name])
        check_fields(RunOptions, values, "runner")
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
    """Cross-field rules (each field's own rule is in its metadata)."""
    if options.async_mode and options.async_result_dir is None and options.work_dir is None:
        raise ConfigError("async_mode=True needs async_result_dir=... (the folder that "
                          "receives each shard's results.jsonl and DONE marker)")
