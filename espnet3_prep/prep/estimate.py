"""``action=plan`` estimates: output sizes and an ETA, from a few sampled utterances.

The runner's own ``forward`` (decode, clean, features) is timed on :data:`TIMED_FILES`
sampled items, in this process and without writing anything. From those:

* frames per audio second and the feature dim give the ark size: float32 Kaldi ark
  = frames x dim x 4 bytes + per utterance ``<key> \\0BFM `` + two int32 dims
  (``len(key) + 16`` bytes); the other ``feature.storage`` sizes are that times the
  ratio measured in ``make bench`` (``SIZE_RATIO``);
* the JSON size of the sampled manifest rows gives ``manifest.jsonl`` and, about as
  much again, the Kaldi text files; exports are scaled from those;
* compute seconds per audio second x hours / workers gives the ETA (startup excluded).
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf

from espnet3_prep.writers.feature_storage import (
    NO_SCP,
    NPY_HEADER,
    SIZE_RATIO,
    STORAGES,
    check_storage,
)
from espnet3_prep.writers.raw_dump import SUBTYPE, to_int16

TIMED_FILES = 5
ARK_HEADER = 16
KIND = {"ark": "float32", "ark_compressed": "Kaldi compressed", "lilcom": "lilcom",
        "npy": "float32 .npy"}
EXPORT_FACTOR = {"lhotse": 0.35, "hf": 0.5, "hf_dataset": 0.6}  # of manifest.jsonl
# (gzip / parquet / arrow with file paths)


def time_sample(cfg: DictConfig, dataset: Any, picks: list[int]) -> dict[str, Any]:
    """Run ``forward`` on up to :data:`TIMED_FILES` sampled items; sums of what it saw."""
    provider = get_class(str(cfg.provider._target_))
    runner = get_class(str(cfg.runner._target_))
    model = provider.build_model(cfg)
    extras = provider.build_extras(cfg)
    seen = {"files": 0, "seconds": 0.0, "compute": 0.0, "frames": 0, "dim": 0,
            "row_bytes": 0, "key_bytes": 0, "raw_bytes": 0}
    for idx in picks[:TIMED_FILES]:
        start = time.perf_counter()
        try:
            row = runner.forward(idx, dataset=dataset, model=model, **extras)
        except Exception:  # noqa: BLE001 - a plan only estimates; run records failures
            continue
        elapsed = time.perf_counter() - start
        if not isinstance(row, dict) or not row.get("duration"):
            continue  # dropped or filtered: nothing to measure
        feats = row.pop("feats", None)
        wave = row.pop("wave", None)  # feature=raw: encoded as the sink would
        if wave is not None:
            seen["raw_bytes"] += encoded_size(wave, int(row["sample_rate"]),
                                              str(cfg.feature.get("audio_format", "flac")))
        seen["files"] += 1
        seen["seconds"] += float(row["duration"])
        seen["compute"] += elapsed
        seen["row_bytes"] += len(json.dumps(row, default=str)) + 60  # + the feats pointer
        seen["key_bytes"] += len(str(row["utt_id"]).encode())
        if feats is not None:
            seen["frames"] += int(feats.shape[0])
            seen["dim"] = int(feats.shape[1])
    return seen


def estimate(cfg: DictConfig, dataset: Any, hours: float) -> dict[str, Any]:
    """Sizes (bytes) per output format and the ETA (seconds) for one split."""
    n = len(dataset)
    picks = random.Random(1).sample(range(n), min(n, TIMED_FILES))
    seen = time_sample(cfg, dataset, picks)
    if not seen["files"]:
        return {"timed": 0}
    audio_s = hours * 3600
    per_item = seen["row_bytes"] / seen["files"]
    sizes = {"manifest + Kaldi text": int(2 * per_item * n)}
    if seen["dim"]:
        frames = seen["frames"] / seen["seconds"] * audio_s
        key = seen["key_bytes"] / seen["files"]
        sizes.update(storage_sizes(cfg, frames * seen["dim"] * 4, n, key + ARK_HEADER,
                                   seen["dim"]))
    if seen["raw_bytes"]:
        fmt = cfg.feature.get("audio_format", "flac")
        sizes[f"raw audio dump ({fmt}, 16-bit)"] = int(
            seen["raw_bytes"] / seen["seconds"] * audio_s)
    selected = set(cfg.get("export") or [])
    for name, factor in EXPORT_FACTOR.items():  # every format, so users can choose
        label = f"export {name}" if name in selected else f"export {name} (with export=[{name}])"
        sizes[label] = int(factor * per_item * n)
    workers = max(1, int(cfg.parallel.get("n_workers") or 1))
    cost = seen["compute"] / seen["seconds"]  # compute seconds per audio second
    return {"timed": seen["files"], "sizes": sizes, "cost": cost, "workers": workers,
            "eta_s": cost * audio_s / workers}


def encoded_size(wave: Any, sample_rate: int, audio_format: str) -> int:
    """Bytes of ``wave`` written as the raw dump writes it (16-bit ``audio_format``)."""
    import io

    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, to_int16(wave), sample_rate, subtype=SUBTYPE,
                    format=audio_format.upper())
    return len(buffer.getvalue())


def storage_sizes(cfg: DictConfig, float_bytes: float, n: int, header: float, dim: int
                  ) -> dict[str, int]:
    """Feature sizes for every ``feature.storage`` (the chosen one first), scaled from
    the float32 bytes by the ratios measured in ``make bench``."""
    chosen = check_storage(OmegaConf.to_container(cfg.feature, resolve=True))
    sizes = {}
    for storage in sorted(STORAGES, key=lambda name: name != chosen):
        extra = n * (NPY_HEADER if storage == "npy" else header)
        label = f"feats {storage} ({KIND[storage]}, dim {dim})" + (
            "" if storage == chosen else f" (with feature.storage={storage})")
        if storage in NO_SCP:
            label += " [no feats.scp: read through export=[lhotse]]"
        sizes[label] = int(float_bytes * SIZE_RATIO[storage] + extra)
    return sizes


def human_bytes(size: float) -> str:
    """``1.2 GB``-style size."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def human_seconds(seconds: float) -> str:
    """``1h02m``, ``3m20s`` or ``12s``."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def describe(result: dict[str, Any]) -> list[str]:
    """Indented plan lines for one split's estimate."""
    if not result.get("timed"):
        return ["  (no sampled file could be timed: sizes and ETA unknown)"]
    lines = [f"  expected {name}: ~{human_bytes(size)}"
             for name, size in result["sizes"].items()]
    lines.append(f"  ETA ~{human_seconds(result['eta_s'])} on {result['workers']} worker(s) "
                 f"({1 / result['cost']:.0f}x real time per worker, timed on "
                 f"{result['timed']} sampled files; job startup not included)")
    return lines
