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

from espnet3_prep.errors import ConfigError
from espnet3_prep.rules import absolute_path, check_fields, choice, integer, number, out_folder

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Action(Enum):
    """What ``espnet3-prep`` does with the composed config."""

    run = "run"
    plan = "plan"
    check = "check"
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
    """How the runner plans and executes shards (value rules: ``driver.options.RunOptions``,
    the single source of truth of the run options)."""

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
    n_workers: int = field(default=1, metadata=integer(1, 100_000, example="4"))
    options: dict[str, Any] = field(default_factory=dict)
    worker_timeout_s: float = field(default=120.0, metadata=number(
        0, 10**7, lo_open=True, example="120"))
    adapt: bool | None = None
    dashboard: bool = False
    security: str | None = None


@dataclass
class RelocateConfig:
    """``action=relocate``: an extra old -> new prefix for input paths (the corpus)."""

    old: str | None = field(default=None, metadata=absolute_path(example="/cluster/data"))
    new: str | None = field(default=None, metadata=absolute_path(example="/mnt/data"))

    @staticmethod
    def check_values(values: Mapping[str, Any], prefix: str) -> None:
        """``old`` and ``new`` go together."""
        if (values.get("old") is None) != (values.get("new") is None):
            raise ConfigError(f"{prefix}.old and {prefix}.new go together: "
                              f"{prefix}.old=/cluster/data {prefix}.new=/mnt/data")


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
    export_shard_size: int | None = None
    action: Action = Action.run
    paths: PathsMode = PathsMode.absolute
    relocate: RelocateConfig = field(default_factory=RelocateConfig)
    log_level: str = field(default="INFO", metadata=choice(*LOG_LEVELS, example="INFO"))


def check_schema(cfg: Mapping[str, Any]) -> None:
    """Apply the value rules of the top level, ``parallel`` and ``relocate`` (plain dicts;
    ``runner`` is checked by ``RunOptions``).

    Raises:
        ConfigError: the first bad value, naming its key, why and a valid example.
    """
    check_fields(PrepConfig, cfg, "")
    for key, schema in (("parallel", ParallelConfig), ("relocate", RelocateConfig)):
        if isinstance(cfg.get(key), Mapping):
            check_fields(schema, cfg[key], key)


def register_configs() -> None:
    """Register the schemas so ``conf/config.yaml`` can extend ``prep_schema``."""
    store = ConfigStore.instance()
    store.store(name="prep_schema", node=PrepConfig)
