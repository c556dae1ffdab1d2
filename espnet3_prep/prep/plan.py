"""``action=plan``: a dry run — what would be prepared and where it would run."""

from __future__ import annotations

import contextlib
import math
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hydra.utils import get_class
from omegaconf import DictConfig

from espnet3_prep.backends import make_backend
from espnet3_prep.backends.detached.schedulers import describe_detached
from espnet3_prep.backends.options import normalize_parallel_config
from espnet3_prep.cleaners import build_cleaner
from espnet3_prep.features import build_feature
from espnet3_prep.prep.estimate import describe, estimate
from espnet3_prep.prep.pipeline import parallel_config, split_config
from espnet3_prep.prep.runner import needs_samples
from espnet3_prep.prep.tokenizer_step import describe_step
from espnet3_prep.prep.validate import validate_config

SAMPLE_FILES = 200


def print_plan(cfg: DictConfig) -> list[dict[str, Any]]:
    """Print per split: utterances, estimated hours, shards, output sizes and ETA; then
    the backend/job script. Writes nothing: folders that checks or a scheduler's
    job-script rendering create on the way are removed again (Hydra writes nothing for
    ``action=plan`` either, see :mod:`espnet3_prep.prep.output_keys`)."""
    output_dir = Path(str(cfg.output_dir)).absolute()
    with no_new_folders(output_dir), no_new_folders(output_dir / "logs" / "parallel"):
        return _print_plan(cfg, output_dir)


@contextlib.contextmanager
def no_new_folders(path: Path) -> Iterator[None]:
    """Remove the empty folders created at or above ``path`` inside the block."""
    top = path
    while not top.parent.exists() and top.parent != top:
        top = top.parent
    existed = top.exists()
    try:
        yield
    finally:
        if not existed and top.is_dir():
            for folder, _, _ in sorted(os.walk(top), key=lambda w: -len(w[0])):
                with contextlib.suppress(OSError):  # not empty: something real is there
                    os.rmdir(folder)


def _print_plan(cfg: DictConfig, output_dir: Path) -> list[dict[str, Any]]:
    splits = validate_config(cfg)
    rows = [plan_split(cfg, split) for split in splits]
    for row in rows:
        print(f"{row['split']}: {row['items']} items, ~{row['hours']:.3f} h of audio "
              f"(from {row['sampled']} sampled headers), {row['shards']} shards of "
              f"<= {row['shard_size']} -> {output_dir / row['split']}")
        print("\n".join(describe(row["estimate"])))
    step = describe_step(cfg, splits)
    if step:
        print(step)
    print(audio_reading(cfg))
    parallel = normalize_parallel_config(parallel_config(cfg, output_dir))
    if cfg.runner.async_mode and rows:
        first = rows[0]
        per_job = -(-first["shards"] // max(1, int(parallel.get("n_workers") or 1)))
        print(describe_detached(parallel, output_dir / first["split"],
                                list(range(min(per_job, first["shards"])))))
        return rows
    backend = make_backend(parallel)
    try:
        print(backend.describe())
    finally:
        backend.close()
    return rows


def audio_reading(cfg: DictConfig) -> str:
    """Whether a run decodes every audio file or reads only headers, and why."""
    model = build_feature(cfg.feature)
    cleaner = build_cleaner(cfg.get("cleaner"))
    tars = [name for name in (cfg.get("export") or []) if name in ("shar", "webdataset")]
    if not needs_samples(model, cleaner, {"keep_wave": bool(tars)}):
        return ("audio: headers only (feature=none and no enabled cleaning step needs the "
                "samples; a file corrupt behind a valid header is not noticed)")
    if getattr(model, "produces_features", True) or getattr(model, "dumps_audio", False):
        return f"audio: every file is decoded (feature={cfg.feature.get('type')} needs the samples)"
    if tars:
        return f"audio: every file is decoded (export={tars} writes the audio)"
    return (f"audio: every file is decoded: enabled cleaning step(s) "
            f"{', '.join(cleaner.sample_steps)} read the samples (disable them, e.g. "
            "+cleaner.steps.<i>.enabled=false, to read headers only, ~10x cheaper)")


def plan_split(cfg: DictConfig, split: str) -> dict[str, Any]:
    """Count items, estimate hours from sampled audio headers, sizes/ETA from timed items."""
    import soundfile

    one = split_config(cfg, split)
    dataset = get_class(str(cfg.provider._target_)).build_dataset(one)
    n = len(dataset)
    picks = random.Random(0).sample(range(n), min(n, SAMPLE_FILES))
    seconds, sampled = 0.0, 0
    for idx in picks:
        item = dataset[idx]
        path = item.get("audio")
        try:
            info = soundfile.info(path) if path else None
        except Exception:  # noqa: BLE001 - a plan only estimates; bad files show up in run
            info = None
        if info is not None:
            whole = info.frames / info.samplerate
            segment = item.get("segment")  # a cut from a longer recording (TED-LIUM, Kaldi)
            seconds += min(whole, segment[1]) - segment[0] if segment else whole
            sampled += 1
    hours = seconds / sampled * n / 3600 if sampled else 0.0
    size = int(cfg.runner.shard_size)
    return {"split": split, "items": n, "hours": hours, "sampled": sampled,
            "shards": math.ceil(n / size) if n else 0, "shard_size": size,
            "estimate": estimate(one, dataset, hours) if n else {"timed": 0}}
