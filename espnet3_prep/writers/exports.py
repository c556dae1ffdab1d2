"""Optional exports selected by the top-level ``export`` list (e.g. ``export=[lhotse,hf]``).

``manifest.jsonl`` and the Kaldi data dir are always written (every export is derived
from them), so ``kaldi`` and ``jsonl`` are accepted in the list and change nothing.
Each export is a function ``(split_dir, feature_config) -> files written`` that reads the
split's finished ``manifest.jsonl``. :func:`register_export` adds one, with the files it
writes and the manifest path fields (:data:`espnet3_prep.writers.paths.PATH_FIELDS`) it
copies into them: ``action=relocate`` rewrites exactly those exports after a move.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from espnet3_prep.errors import ConfigError
from espnet3_prep.writers.hf import PARQUET, write_hf
from espnet3_prep.writers.hf_dataset import hf_options, write_hf_dataset
from espnet3_prep.writers.lhotse import FEATURES, RECORDINGS, SUPERVISIONS, write_lhotse
from espnet3_prep.writers.paths import PATH_FIELDS, check_mode
from espnet3_prep.writers.shard_exports import SHARD_EXPORTS, link_split_exports

ExportFn = Callable[[Path, dict[str, Any]], list[Path]]
ALWAYS = ("kaldi", "jsonl")
SHARD = SHARD_EXPORTS  # written per shard by the workers' sinks (writers.shard_exports)
ALWAYS_PATH_FIELDS: dict[str, tuple[str, ...]] = {
    "manifest.jsonl": ("audio", "feats"), "wav.scp": ("audio",), "feats.scp": ("feats",)}
"""The always-written files that hold paths, and the manifest fields they copy."""
EXPORTS: dict[str, ExportFn] = {}
EXPORT_FILES: dict[str, tuple[str, ...]] = {}
EXPORT_PATH_FIELDS: dict[str, tuple[str, ...]] = {}
NEEDS: dict[str, tuple[str, str]] = {}


def _check_path_fields(name: str, path_fields: tuple[str, ...]) -> None:
    unknown = sorted(set(path_fields) - set(PATH_FIELDS))
    if unknown:
        raise ValueError(f"export {name}: unknown path fields {unknown}; add them to "
                         "espnet3_prep.writers.paths.PATH_FIELDS")


def register_export(name: str, write: ExportFn, files: tuple[str, ...],
                    path_fields: tuple[str, ...] = (),
                    needs: tuple[str, str] | None = None) -> None:
    """Add export ``name``: its writer, the files it writes into the split folder, the
    manifest path fields it copies and an optional ``(module, install hint)``."""
    _check_path_fields(name, path_fields)
    EXPORTS[name] = write
    EXPORT_FILES[name] = files
    EXPORT_PATH_FIELDS[name] = path_fields
    if needs:
        NEEDS[name] = needs


register_export("lhotse", write_lhotse, (RECORDINGS, SUPERVISIONS, FEATURES),
                ("audio", "feats"))
register_export("hf", write_hf, (PARQUET,), ("audio", "feats"),
                ("pyarrow", "pip install 'espnet3-prep[hf]' (pyarrow)"))
# gets the hf.* options instead of the feature config; writes <output_dir>/hf_dataset/<split>
# (outside the split folder; action=relocate rewrites it too, see prep/relocate.py)
register_export("hf_dataset", write_hf_dataset, (),
                needs=("datasets", "pip install 'espnet3-prep[hf]' (datasets)"))


def register_shard_export(name: str, path_fields: tuple[str, ...] = ()) -> None:
    """Declare the manifest path fields that tar export ``name`` (written per shard by the
    workers, :mod:`espnet3_prep.writers.shard_exports`) copies into its rows. They follow
    ``paths`` like the manifest's; ``action=relocate`` cannot rewrite rows inside the tar
    parts (their audio and features are embedded, the paths only say where they came from)."""
    if name not in SHARD:
        raise ValueError(f"{name} is not a per-shard export ({', '.join(SHARD)})")
    _check_path_fields(name, path_fields)
    EXPORT_PATH_FIELDS[name] = path_fields


register_shard_export("shar")  # recordings and features are Shar placeholders: no paths
register_shard_export("webdataset", ("audio", "feats"))  # its <key>.json rows


def exports_present(split_dir: Path) -> list[str]:
    """The exports that hold paths and whose files exist in ``split_dir``."""
    return [name for name, files in EXPORT_FILES.items()
            if EXPORT_PATH_FIELDS.get(name) and any((split_dir / f).exists() for f in files)]


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
        if name not in EXPORTS and name not in SHARD:
            raise ConfigError(f"export: unknown format {name!r} — valid: "
                              f"{', '.join((*ALWAYS, *EXPORTS, *SHARD))}, e.g. "
                              "export=[lhotse,hf]")
        module, fix = NEEDS.get(name, (None, ""))
        if module and importlib.util.find_spec(module) is None:
            raise ConfigError(f"export: {name} needs the {module} package — {fix}")
        if name not in chosen:
            chosen.append(name)
    return chosen


def export_options(cfg: DictConfig) -> dict[str, Any]:
    """What ``collect_split`` needs to write the exports: formats, feature options and
    the ``paths`` mode (absolute|relative)."""
    return {"formats": selected_exports(_plain(cfg.get("export"))),
            "feature": _plain(cfg.get("feature")) or {},
            "hf": hf_options(_plain(cfg.get("hf"))),
            "paths": check_mode(cfg.get("paths"))}


def _plain(node: Any) -> Any:
    if isinstance(node, DictConfig | ListConfig):
        return OmegaConf.to_container(node, resolve=True)
    return node


def check_export_shard_size(value: Any) -> int | None:
    """``export_shard_size``: null or an integer >= 1 (ConfigError otherwise)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"export_shard_size must be an integer >= 1 (utterances per tar "
                          f"part) or null (one part per shard), got {value!r}")
    return value


def write_exports(split_dir: Path, options: dict[str, Any] | None,
                  shard_dirs: list[Path] | None = None) -> list[Path]:
    """Run every selected export for one split (tar exports: link the shards' parts);
    returns the files written."""
    if not options:
        return []
    written: list[Path] = []
    for name in options.get("formats", []):
        if name in SHARD:
            written += link_split_exports(split_dir, shard_dirs or [], [name])
            continue
        key = "hf" if name == "hf_dataset" else "feature"
        written += EXPORTS[name](split_dir, options.get(key) or {})
    return written
