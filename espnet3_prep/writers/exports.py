"""Optional exports selected by the top-level ``export`` list (e.g. ``export=[lhotse,hf]``).

``manifest.jsonl`` and the Kaldi data dir are always written (every export is derived
from them), so ``kaldi`` and ``jsonl`` are accepted in the list and change nothing.
Each export is a function ``(split_dir, feature_config) -> files written`` that reads the
split's finished ``manifest.jsonl``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from espnet3_prep.errors import ConfigError
from espnet3_prep.writers.hf import write_hf
from espnet3_prep.writers.hf_dataset import hf_options, write_hf_dataset
from espnet3_prep.writers.lhotse import write_lhotse

ALWAYS = ("kaldi", "jsonl")
EXPORTS: dict[str, Callable[[Path, dict[str, Any]], list[Path]]] = {
    "lhotse": write_lhotse,
    "hf": write_hf,
    "hf_dataset": write_hf_dataset,  # gets the hf.* options instead of the feature config
}
NEEDS = {"hf": ("pyarrow", "pip install 'espnet3-prep[hf]' (pyarrow)"),
         "hf_dataset": ("datasets", "pip install 'espnet3-prep[hf]' (datasets)")}


def selected_exports(names: Sequence[str] | str | None) -> list[str]:
    """The optional exports named in ``export`` (ConfigError for an unknown name)."""
    if names is None:
        return []
    if isinstance(names, str):
        names = [names]
    chosen = []
    for name in names:
        if name in ALWAYS:
            continue
        if name not in EXPORTS:
            raise ConfigError(f"export: unknown format {name!r} — valid: "
                              f"{', '.join((*ALWAYS, *EXPORTS))}, e.g. export=[lhotse,hf]")
        module, fix = NEEDS.get(name, (None, ""))
        if module and importlib.util.find_spec(module) is None:
            raise ConfigError(f"export: {name} needs the {module} package — {fix}")
        if name not in chosen:
            chosen.append(name)
    return chosen


def export_options(cfg: DictConfig) -> dict[str, Any]:
    """What ``collect_split`` needs to write the exports: formats and feature options."""
    return {"formats": selected_exports(_plain(cfg.get("export"))),
            "feature": _plain(cfg.get("feature")) or {},
            "hf": hf_options(_plain(cfg.get("hf")))}


def _plain(node: Any) -> Any:
    if isinstance(node, DictConfig | ListConfig):
        return OmegaConf.to_container(node, resolve=True)
    return node


def write_exports(split_dir: Path, options: dict[str, Any] | None) -> list[Path]:
    """Run every selected export for one split; returns the files written."""
    if not options:
        return []
    written: list[Path] = []
    for name in options.get("formats", []):
        key = "hf" if name == "hf_dataset" else "feature"
        written += EXPORTS[name](split_dir, options.get(key) or {})
    return written
