"""Structured-config schemas, registered in Hydra's ConfigStore.

The top-level schema types the keys every run relies on (``action``, ``output_dir``,
``runner.*``, ``parallel.*``) so Hydra rejects a wrong type or value before any work
starts, naming the key. The corpus-, feature- and cleaner-specific groups stay open
mappings: their builders validate them (also before any work) with messages naming
``dataset.<key>`` / ``feature.<key>`` / ``cleaner.steps[i].<key>`` and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from hydra.core.config_store import ConfigStore


class Action(Enum):
    """What ``espnet3-prep`` does with the composed config."""

    run = "run"
    plan = "plan"
    status = "status"
    collect = "collect"
    relocate = "relocate"
    verify = "verify"


class PathsMode(Enum):
    """How outputs write paths (see :mod:`espnet3_prep.writers.paths`)."""

    absolute = "absolute"
    relative = "relative"


@dataclass
class ProviderConfig:
    """Which provider class builds the per-process env (``_target_`` = import path)."""

    _target_: str = "espnet3_prep.prep.provider.PrepProvider"


@dataclass
class RunnerConfig:
    """How the runner plans and executes shards."""

    _target_: str = "espnet3_prep.prep.runner.PrepRunner"
    shard_size: int = 100
    batch_size: int | None = None
    async_mode: bool = False
    async_specs_dir: str | None = None
    async_result_dir: str | None = None
    resume: bool = True
    on_error: str = "record"
    retries: int = 0
    max_failures: float | None = None
    item_timeout_s: float | None = None
    retry_failed: bool = False
    progress: bool = True
    verify: bool = False


@dataclass
class ParallelConfig:
    """Where shards run: ``env`` none|local|slurm|pbs|sge|lsf|htcondor|submitit_*."""

    env: str = "none"
    n_workers: int = 1
    options: dict[str, Any] = field(default_factory=dict)
    worker_timeout_s: float = 120.0
    adapt: bool | None = None
    dashboard: bool = False
    security: str | None = None


@dataclass
class RelocateConfig:
    """``action=relocate``: an extra old -> new prefix for input paths (the corpus)."""

    old: str | None = None
    new: str | None = None


@dataclass
class PrepConfig:
    """The root config of ``espnet3-prep``."""

    dataset: dict[str, Any] = field(default_factory=dict)
    feature: dict[str, Any] = field(default_factory=dict)
    cleaner: dict[str, Any] = field(default_factory=dict)
    tokenizer: dict[str, Any] = field(default_factory=dict)
    parallel: ParallelConfig = field(default_factory=ParallelConfig)
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    provider: ProviderConfig = field(default_factory=ProviderConfig)
    output_dir: str = "exp/${dataset.name}"
    export: list[str] = field(default_factory=list)
    hf: dict[str, Any] = field(default_factory=lambda: {"embed_audio": False})
    export_shard_size: int | None = None
    action: Action = Action.run
    paths: PathsMode = PathsMode.absolute
    relocate: RelocateConfig = field(default_factory=RelocateConfig)
    log_level: str = "INFO"


def register_configs() -> None:
    """Register the schemas so ``conf/config.yaml`` can extend ``prep_schema``."""
    store = ConfigStore.instance()
    store.store(name="prep_schema", node=PrepConfig)
