"""Corpus readers: ``build_dataset(cfg, split)``, ``list_splits(cfg)``, ``check_dataset_config``.

Adding a corpus type = one module defining a :class:`CorpusType` subclass (usually a
:class:`~espnet3_prep.datasets.corpus.SplitCorpus`: ``root`` + ``splits``), one YAML under
``conf/dataset/`` and one line in :data:`DATASET_TYPES` (docs/corpora.md walks through it).

Importing this package registers the OmegaConf resolver ``pkg_data``:
``${pkg_data:mini_librispeech/LibriSpeech}`` resolves to the absolute path of
``espnet3_prep/data/mini_librispeech/LibriSpeech`` inside the installed package. Import it
before resolving a config that uses the resolver.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from espnet3_prep.datasets.aishell import Aishell
from espnet3_prep.datasets.base import ISSUES, CorpusType, Dataset, Record, gc_paused
from espnet3_prep.datasets.commonvoice import CommonVoice
from espnet3_prep.datasets.hf import HFDataset
from espnet3_prep.datasets.index import dataset_key, index_is_current, load_index, save_index
from espnet3_prep.datasets.kaldi_dir import KaldiDir
from espnet3_prep.datasets.librispeech import LibriSpeech
from espnet3_prep.datasets.ljspeech import LJSpeech
from espnet3_prep.datasets.manifest import Manifest
from espnet3_prep.datasets.mls import MLS
from espnet3_prep.datasets.options import check_common
from espnet3_prep.datasets.speed import SpeedPerturbed, check_factors
from espnet3_prep.datasets.tedlium import Tedlium
from espnet3_prep.errors import ConfigError

__all__ = [
    "COMMON_KEYS",
    "DATASET_TYPES",
    "ISSUES",
    "CorpusType",
    "Dataset",
    "Record",
    "build_dataset",
    "check_dataset_config",
    "list_splits",
    "package_data_path",
]

DATASET_TYPES: dict[str, CorpusType] = {
    "librispeech": LibriSpeech(),
    "manifest": Manifest(),
    "kaldi": KaldiDir(),
    "commonvoice": CommonVoice(),
    "tedlium": Tedlium(),
    "aishell": Aishell(),
    "ljspeech": LJSpeech(),
    "mls": MLS(),
    "hf": HFDataset(),
}
"""Registry: ``dataset.type`` -> corpus type."""

COMMON_KEYS = frozenset({"type", "name", "split", "resample", "channel", "speed_perturb"})
"""Keys accepted for every type: ``split`` (set by the pipeline per split), ``resample`` and
``channel`` (audio-reading options the runner reads from the dataset node) and
``speed_perturb`` (factors; see :mod:`espnet3_prep.datasets.speed`)."""
PACKAGE_DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "data")


def package_data_path(relative: str) -> str:
    """Absolute path of ``espnet3_prep/data/<relative>`` (the ``pkg_data`` resolver)."""
    parts = str(relative).replace("\\", "/").split("/")
    if os.path.isabs(str(relative)) or ".." in parts:
        raise ConfigError(f"${{pkg_data:{relative}}}: expected a path inside the package "
                          f"data folder, without '..'")
    return os.path.join(PACKAGE_DATA_DIR, *[p for p in parts if p])


OmegaConf.register_new_resolver("pkg_data", package_data_path, replace=True)


def build_dataset(cfg: Mapping[str, Any], split: str, index: str | None = None
                  ) -> Dataset | SpeedPerturbed:
    """Scan ``split`` of the corpus described by ``cfg`` (the ``dataset`` config node), or
    load the item ``index`` the driver saved for that config (see :func:`save_split_index`).

    Raises:
        ConfigError: Unknown type, bad keys, missing root/split, malformed input files.
    """
    plain, kind = _resolve(cfg)
    with gc_paused():
        dataset = load_index(Path(index), dataset_key(plain, split)) if index else None
        if dataset is None:
            dataset = kind.build(plain, split)
        factors = plain.get("speed_perturb")
        return SpeedPerturbed(dataset, check_factors(factors)) if factors else dataset


def save_split_index(dataset: Any, cfg: Mapping[str, Any], split: str, path: Path) -> bool:
    """Save the scanned ``dataset`` of ``split`` to ``path`` for the processes that run its
    shards (unless the file there already holds the same items); False when the dataset is
    not one this package scanned."""
    base = dataset.base if isinstance(dataset, SpeedPerturbed) else dataset
    if not isinstance(base, Dataset):
        return False
    key = dataset_key(_resolve(cfg)[0], split)
    if not index_is_current(path, key, base):
        save_index(base, path, key)
    return True


def list_splits(cfg: Mapping[str, Any]) -> list[str]:
    """The splits ``cfg`` selects, in config order."""
    plain, kind = _resolve(cfg)
    return kind.splits(plain)


def check_dataset_config(cfg: Mapping[str, Any]) -> None:
    """Cheap validation before any work: type, keys, root and every split exist.

    Raises:
        ConfigError: Naming the key, the problem and the fix, e.g.
            ``dataset.root: /x does not exist — set dataset.root=/path/to/LibriSpeech``.
    """
    plain, kind = _resolve(cfg)
    kind.check(plain)  # first: a default name may interpolate its options (mls_${dataset.lang})
    check_common(plain)
    if plain.get("speed_perturb") not in (None, []):  # [] or null: no copies
        check_factors(plain["speed_perturb"])


def _resolve(cfg: Mapping[str, Any]) -> tuple[dict[str, Any], CorpusType]:
    """Plain-dict copy of ``cfg`` (interpolations resolved) and its corpus type."""
    plain = _to_plain(cfg)
    kind_name = plain.get("type")
    if not isinstance(kind_name, str) or kind_name not in DATASET_TYPES:
        raise ConfigError(f"dataset.type: unknown type {kind_name!r} — valid: "
                          f"{', '.join(sorted(DATASET_TYPES))}")
    kind = DATASET_TYPES[kind_name]
    unknown = sorted(set(plain) - COMMON_KEYS - kind.keys)
    if unknown:
        raise ConfigError(f"dataset.{unknown[0]}: unknown key for type {kind_name!r} — valid "
                          f"keys: {', '.join(sorted(COMMON_KEYS | kind.keys))}")
    return plain, kind


def _to_plain(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """A resolved plain dict; a mandatory ``???`` value raises ConfigError naming the key."""
    if cfg is None or not isinstance(cfg, Mapping | DictConfig):
        raise ConfigError(f"dataset: expected a mapping with a 'type' key, got {cfg!r}")
    for key in cfg:
        missing = OmegaConf.is_missing(cfg, key) if isinstance(cfg, DictConfig) else (
            cfg[key] == "???")
        if missing:
            kind = DATASET_TYPES.get(str(cfg.get("type")))
            hint = f"/path/to/{getattr(kind, 'root_hint', 'LibriSpeech')}" if key == "root" \
                else "..."
            raise ConfigError(f"dataset.{key}: mandatory value is not set — set "
                              f"dataset.{key}={hint}")
    if isinstance(cfg, DictConfig):
        try:
            return dict(OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True))
        except Exception as exc:  # interpolation/resolver errors from OmegaConf
            raise ConfigError(f"dataset: cannot resolve the config: {exc}") from exc
    return dict(cfg)
