"""``action=run``: validate everything, then per split run the shards and collect."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from espnet3_prep.compat import resolve_class
from espnet3_prep.datasets import save_split_index
from espnet3_prep.datasets.index import INDEX_NAME
from espnet3_prep.driver.options import RunOptions
from espnet3_prep.driver.submit import assert_no_live_jobs
from espnet3_prep.parallel import close_parallel, set_parallel
from espnet3_prep.prep.collect import collect_split
from espnet3_prep.prep.costs import AudioBytes
from espnet3_prep.prep.tokenizer_step import run_tokenizer_step
from espnet3_prep.prep.validate import check_channel, check_exports, validate_config
from espnet3_prep.storage.lock import OutputLock
from espnet3_prep.storage.shards import ShardStore
from espnet3_prep.writers.exports import export_options
from espnet3_prep.writers.paths import check_mode
from espnet3_prep.writers.shard_exports import SHARD_EXPORTS

log = logging.getLogger(__name__)
OUTPUT_FORMAT = 2
"""Version of what a shard holds (row keys, ark layout): bump it when that changes, so
shards written by an older espnet3-prep are refused on resume instead of mixed in
(2: rows carry gender, recording and channel)."""


def run_prep(cfg: DictConfig) -> dict[str, dict[str, Any]]:
    """Prepare every split of ``cfg.dataset``; returns the stats of each split."""
    splits = validate_config(cfg)
    output_dir = Path(str(cfg.output_dir)).absolute()
    results: dict[str, dict[str, Any]] = {}
    with OutputLock(output_dir):
        for split in splits:  # before anything runs: the cleanup below would hit their files
            assert_no_live_jobs(output_dir / split, "a synchronous run")
        set_parallel(parallel_config(cfg, output_dir))
        try:
            for split in splits:
                results[split] = run_split(cfg, split, output_dir / split)
            run_tokenizer_step(cfg, splits)  # after the training splits are collected
        finally:
            close_parallel()  # stops workers first, so no attempt is still writing
            if not cfg.runner.async_mode:  # detached jobs may still be writing theirs
                for split in splits:  # interrupted attempts leave only temp dirs
                    ShardStore(output_dir / split).clean_stale()
    return results


def parallel_config(cfg: DictConfig, output_dir: Path) -> dict[str, Any]:
    """The parallel section with run-specific defaults (log dir under the output dir)."""
    parallel = OmegaConf.to_container(cfg.parallel, resolve=True)
    assert isinstance(parallel, dict)  # schema-typed node, not user input
    options = {k: v for k, v in dict(parallel.get("options") or {}).items() if v is not None}
    if parallel.get("env") not in ("none", "local"):
        key = "folder" if str(parallel.get("env")).startswith("submitit") else "log_directory"
        options.setdefault(key, str(output_dir / "logs" / "parallel"))
    parallel["options"] = options
    parallel["name"] = f"espnet3-prep-{cfg.dataset.name}"
    return {k: v for k, v in parallel.items() if v is not None}


def split_config(cfg: DictConfig, split: str) -> DictConfig:
    """A copy of the config whose ``dataset.split`` names one split (cfg is untouched)."""
    copy = OmegaConf.create(OmegaConf.to_container(cfg, resolve=True))
    copy.dataset.split = split
    return copy


def build_runner(cfg: DictConfig, split: str, split_dir: Path, *, index: str = "",
                 **overrides: Any) -> tuple[Any, DictConfig, int]:
    """The split's runner (provider, plan key, runner options), its config, its size;
    ``overrides`` replace run options (e.g. a per-split ``async_specs_dir``).
    ``index="save"``: scan, and save the items for the processes that run the shards;
    ``"load"``: use the items the run saved (merging its shards needs no rescan)."""
    one = split_config(cfg, split)
    provider_cls = resolve_class(str(cfg.provider._target_))
    runner_cls = resolve_class(str(cfg.runner._target_))
    path = split_dir / INDEX_NAME
    if index == "load":
        one.item_index = str(path)  # a missing or foreign index: scanned as usual
    dataset = provider_cls.build_dataset(one)
    check_channel(one, dataset)
    check_exports(one, dataset)
    if index == "save" and save_split_index(dataset, OmegaConf.to_container(one.dataset),
                                            split, path):
        one.item_index = str(path)  # workers, array tasks, detached jobs load it
    provider = provider_cls(one, params={"output_dir": str(split_dir)})
    if hasattr(provider, "use_dataset"):  # the in-process env reuses it (no second parse)
        provider.use_dataset(dataset)
    options = RunOptions.from_config(one.runner, work_dir=split_dir, description=split,
                                     **overrides)
    runner = runner_cls(provider, options=options, plan_key=plan_key(one, dataset),
                        shard_cost=AudioBytes(dataset))
    return runner, one, len(dataset)


def run_split(cfg: DictConfig, split: str, split_dir: Path) -> dict[str, Any]:
    """Plan, run and collect one split."""
    runner, one, n_items = build_runner(cfg, split, split_dir, index="save")
    start = time.perf_counter()
    outcome = runner.run(range(n_items))
    wall = time.perf_counter() - start
    return collect_outputs(one, split, split_dir, [s.shard_id for s in outcome.shards], wall)


def collect_outputs(one: DictConfig, split: str, split_dir: Path, shard_ids: list[int],
                    wall: float) -> dict[str, Any]:
    """Merge the split's done shards into its outputs (sync runs and action=collect)."""
    stats = collect_split(split, split_dir, shard_ids, wall, exports=export_options(one),
                          verify=bool(one.runner.get("verify", False)))
    log.info("%s: %d kept, %d dropped, %d failed -> %s", split, stats["kept"],
             stats["dropped"], stats["failed"], split_dir)
    return stats


def plan_key(cfg: DictConfig, dataset: Any) -> dict[str, Any]:
    """Everything the outputs depend on; a change here makes resume refuse."""
    describe = dataset.describe() if hasattr(dataset, "describe") else {"count": len(dataset)}
    return {
        "output_format": OUTPUT_FORMAT,
        "dataset": describe,
        "feature": OmegaConf.to_container(cfg.feature, resolve=True),
        "cleaner": OmegaConf.to_container(cfg.cleaner, resolve=True),
        "audio": {k: cfg.dataset.get(k) for k in ("resample", "channel")},
        "provider": str(cfg.provider._target_),
        "runner": str(cfg.runner._target_),
        "batch_size": cfg.runner.get("batch_size"),
        **shard_exports_key(cfg),
    }


def shard_exports_key(cfg: DictConfig) -> dict[str, Any]:
    """Tar exports are written inside the shards: a change must not reuse old shards
    (absent when none is selected, so plans without them keep their hash)."""
    names = [n for n in (cfg.get("export") or []) if n in SHARD_EXPORTS]
    if not names:
        return {}
    key = {"formats": sorted(names), "export_shard_size": cfg.get("export_shard_size")}
    if "webdataset" in names:  # its rows hold paths, written in the shards
        key["paths"] = check_mode(cfg.get("paths"))
    return {"shard_exports": key}
