"""Structured-config schemas, registered in Hydra's ConfigStore.

The top-level schema types the keys every run relies on (``action``, ``output_dir``,
``runner.*``, ``parallel.*``) so Hydra rejects a wrong type before any work starts, naming
the key; each field's value rule (range, choice, folder...) sits in its metadata
(:mod:`espnet3_prep.rules`) and :func:`check_schema` applies them. The corpus-, feature-
and cleaner-specific groups stay open mappings: their option dataclasses validate them
(also before any work) with messages naming ``dataset.<key>`` / ``feature.<key>`` /
``cleaner.steps[i].<key>`` and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from hydra.core.config_store import ConfigStore

from espnet3_prep.rules import boolean, check_fields, choice, integer, number, out_folder

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Action(Enum):
    """What ``espnet3-prep`` does with the composed config."""

    run = "run"
    plan = "plan"
    check = "check"
    status = "status"
    collect = "collect"


@dataclass
class ProviderConfig:
    """Which provider class builds the per-process env (``_target_`` = import path)."""

    _target_: str = "espnet3_prep.prep.provider.PrepProvider"


@dataclass
class RunnerConfig:
    """How the runner plans and executes shards."""

    _target_: str = "espnet3_prep.prep.runner.PrepRunner"
    shard_size: int = field(default=100, metadata=integer(1, 10**9, example="100"))
    batch_size: int | None = field(
        default=None, metadata=integer(1, 10**6, example="16", optional=True))
    async_mode: bool = field(default=False, metadata=boolean())
    async_specs_dir: str | None = field(
        default=None, metadata=out_folder(example="/scratch/specs"))
    async_result_dir: str | None = field(
        default=None, metadata=out_folder(example="/scratch/results"))
    resume: bool = field(default=True, metadata=boolean())
    on_error: str = field(default="record", metadata=choice("record", "raise"))
    retries: int = field(default=0, metadata=integer(0, 100, example="2"))
    max_failures: float | None = field(default=None, metadata=number(
        0, example="10 (items) or 0.01 (a fraction)", optional=True))
    item_timeout_s: float | None = field(default=None, metadata=number(
        0, 10**7, example="60 (null: no limit)", optional=True))
    retry_failed: bool = field(default=False, metadata=boolean())
    progress: bool = field(default=True, metadata=boolean())


@dataclass
class ParallelConfig:
    """Where shards run: ``env`` none|local|slurm|pbs|sge|lsf|htcondor|submitit_*."""

    env: str = "none"
    n_workers: int = field(default=1, metadata=integer(1, 100_000, example="4"))
    options: dict[str, Any] = field(default_factory=dict)
    worker_timeout_s: float = field(default=120.0, metadata=number(
        0, 10**7, lo_open=True, example="120"))
    adapt: bool | None = None


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
    output_dir: str = field(default="exp/${dataset.name}",
                            metadata=out_folder(example="exp/my_corpus", optional=False))
    export: list[str] = field(default_factory=list)
    hf: dict[str, Any] = field(default_factory=lambda: {"embed_audio": False})
    action: Action = Action.run
    log_level: str = field(default="INFO", metadata=choice(*LOG_LEVELS, example="INFO"))


def check_schema(cfg: Mapping[str, Any]) -> None:
    """Apply the value rules of the top level, ``runner`` and ``parallel`` (plain dicts).

    Raises:
        ConfigError: the first bad value, naming its key, why and a valid example.
    """
    check_fields(PrepConfig, cfg, "")
    for key, schema in (("runner", RunnerConfig), ("parallel", ParallelConfig)):
        node = cfg.get(key)
        if isinstance(node, Mapping):
            check_fields(schema, node, key)


def register_configs() -> None:
    """Register the schemas so ``conf/config.yaml`` can extend ``prep_schema``."""
    store = ConfigStore.instance()
    store.store(name="prep_schema", node=PrepConfig)
