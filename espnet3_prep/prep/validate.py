"""Every config check that can fail, run before any shard is planned or job submitted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from espnet3_prep.audio import audio_info
from espnet3_prep.backends.options import normalize_parallel_config
from espnet3_prep.cleaners import build_cleaner
from espnet3_prep.compat import resolve_class
from espnet3_prep.config import check_schema
from espnet3_prep.datasets import check_dataset_config, list_splits
from espnet3_prep.driver.options import RunOptions
from espnet3_prep.errors import AudioReadError, ConfigError
from espnet3_prep.features import build_feature
from espnet3_prep.prep.tokenizer_step import check_tokenizer_step
from espnet3_prep.rules import folder_problem
from espnet3_prep.writers.exports import check_export_shard_size, selected_exports
from espnet3_prep.writers.feature_storage import check_storage
from espnet3_prep.writers.hf import audio_mismatch, mismatch_error
from espnet3_prep.writers.hf_dataset import hf_options


def _plain(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node


def validate_config(cfg: DictConfig) -> list[str]:
    """Check dataset, feature, cleaner, parallel, runner and output dir; return the splits."""
    dataset = _plain(cfg.dataset)
    check_dataset_config(dataset)  # first: output_dir defaults to exp/${dataset.name}
    validate_schema(cfg)
    _check_builder("feature", cfg.feature)
    check_storage(_plain(cfg.feature))
    _check_builder("cleaner", cfg.get("cleaner"))
    normalize_parallel_config({k: v for k, v in _plain(cfg.parallel).items() if v is not None})
    _check_runner(cfg.runner, Path(str(cfg.output_dir)).absolute())
    for key in ("provider._target_", "runner._target_"):
        _check_class(key, str(OmegaConf.select(cfg, key)))
    check_writable(Path(str(cfg.output_dir)).absolute())
    splits = list_splits(dataset)
    if not splits:
        raise ConfigError("dataset.splits is empty — name at least one split, e.g. "
                          "dataset.splits=[dev-clean]")
    check_tokenizer_step(cfg, splits)
    return splits


def check_passed(splits: list[str]) -> str:
    """What ``action=check`` prints when the config is good."""
    return (f"espnet3-prep: config OK ({len(splits)} split(s): {', '.join(splits)}); "
            "nothing was written")


def validate_schema(cfg: DictConfig) -> None:
    """The keys outside the dataset/feature/cleaner/runner groups: the top level,
    ``parallel``, ``relocate``, ``export``, ``hf`` (all ``action=relocate|verify`` check: the
    corpus may have moved, so the dataset is not checked)."""
    check_schema(_schema_values(cfg))
    selected_exports(_plain(cfg.get("export")))
    hf_options(_plain(cfg.get("hf")))
    check_export_shard_size(cfg.get("export_shard_size"))


def _check_builder(group: str, node: Any) -> None:
    builder = build_feature if group == "feature" else build_cleaner
    try:
        builder(_plain(node))
    except ConfigError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigError(f"{group}: {exc}") from exc


def _check_runner(runner: DictConfig, output_dir: Path) -> None:
    """The run options are checked where they are defined (:class:`RunOptions`); the CLI
    only adds that ``shard_size`` must be given (the Python API's ``None`` = automatic)."""
    if runner.shard_size is None:
        raise ConfigError("runner.shard_size must be >= 1, got None")
    RunOptions.from_config(runner, work_dir=output_dir)  # shards live under output_dir


def _schema_values(cfg: DictConfig) -> dict[str, Any]:
    """The keys :func:`check_schema` rules on, resolved (the ``hydra`` node left out)."""
    values: dict[str, Any] = {"parallel": _plain(cfg.get("parallel")),
                              "relocate": _plain(cfg.get("relocate"))}
    for key in ("output_dir", "log_level"):
        try:
            values[key] = OmegaConf.select(cfg, key, throw_on_missing=True)
        except Exception as exc:  # noqa: BLE001 - interpolation/missing-value errors
            raise ConfigError(f"{key}: cannot resolve the value: {exc}") from exc
    return values


def _check_class(key: str, path: str) -> None:
    try:
        resolve_class(path)
    except Exception as exc:  # noqa: BLE001 - hydra raises various types
        raise ConfigError(f"{key}={path!r} cannot be imported ({exc}); give the full import "
                          "path of a class, e.g. my_recipe.runner.MyRunner") from exc


def check_writable(output_dir: Path) -> None:
    """ConfigError unless ``output_dir`` is (or can be created as) a writable folder.

    Nothing is created: a refused run leaves no trace.
    """
    problem = folder_problem(str(output_dir))
    if problem is not None:
        raise ConfigError(f"output_dir={output_dir} {problem} — choose a writable folder, "
                          "e.g. output_dir=exp/my_corpus")


def check_exports(one: DictConfig, dataset: Any, sample: int = 5) -> None:
    """``export=[hf]`` of speed-perturbed copies or segments is refused before any shard
    runs (see :func:`espnet3_prep.writers.hf.audio_mismatch`): by the config's
    ``dataset.speed_perturb`` and the first ``sample`` items."""
    if "hf" not in selected_exports(_plain(one.get("export"))):
        return
    factors = [float(f) for f in (_plain(one.dataset.get("speed_perturb")) or [])]
    odd = [f for f in factors if f != 1.0]
    if odd:
        raise mismatch_error(f"every sp{odd[0]:g}- copy (dataset.speed_perturb={factors})",
                             f"a speed-perturbed copy (x{odd[0]:g}) of its file")
    for idx in range(min(sample, len(dataset))):
        item = dataset[idx]
        why = audio_mismatch(item)
        if why:
            raise mismatch_error(item.get("utt_id"), why)


def check_channel(one: DictConfig, dataset: Any, sample: int = 5) -> None:
    """``dataset.channel=k`` that none of the first ``sample`` audio files has is a config
    mistake (it would drop every item), reported before any shard runs."""
    channel = one.dataset.get("channel")
    if channel is None:
        return
    seen: list[str] = []
    for idx in range(len(dataset)):
        path = dataset[idx].get("audio")
        if not path:
            continue
        try:
            channels = audio_info(path)[2]
        except (AudioReadError, OSError):
            continue
        if channels > int(channel):
            return
        seen.append(f"{path} ({channels} channel(s))")
        if len(seen) >= sample:
            break
    if seen:
        raise ConfigError(
            f"dataset.channel={channel} (0-based) but the first files have fewer channels: "
            f"{'; '.join(seen[:3])}. Fix: dataset.channel=null averages all channels, or "
            f"pick a channel in 0..{int(channel) - 1}")

