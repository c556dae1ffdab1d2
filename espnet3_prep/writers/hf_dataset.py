"""``export=[hf_dataset]``: a Hugging Face ``datasets.DatasetDict`` saved with
``save_to_disk`` under ``output_dir/hf_dataset/`` (one sub-folder per split plus
``dataset_dict.json`` naming every split exported so far; HF split names are ``\\w+``, so
``dev-clean-2`` becomes ``dev_clean_2``), as ESPnet3 recipes consume it::

    ds = datasets.load_from_disk("exp/mini_librispeech/hf_dataset")   # DatasetDict
    ds = ds.cast_column("audio", datasets.Audio(sampling_rate=16000))  # decode on access

Columns: ``utt_id, audio, text, speaker, gender, duration, sample_rate, num_samples`` and,
when features were computed, ``feats`` (the ``ark:offset`` pointer ``kaldiio.load_mat``
reads), ``num_frames``, ``feat_dim``. ``audio`` is the file path by default;
``hf.embed_audio=true`` stores a ``datasets.Audio`` column with the file's bytes instead (the
dataset then works without the corpus). A split is rewritten whole and swapped in atomically;
the same manifest gives byte-identical files (the fingerprint is the manifest's hash).

Paths in ``audio`` and ``feats`` are absolute even with ``paths=relative``: ``datasets`` and
``kaldiio`` resolve a relative path against the working directory, not against the
dataset. After moving an output, ``action=relocate`` rewrites ``hf_dataset/`` from the
relocated manifest (``hf.embed_audio=true`` keeps the audio inside the dataset).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from espnet3_prep.errors import ConfigError
from espnet3_prep.storage.files import atomic_open
from espnet3_prep.writers.lhotse import MANIFEST, iter_manifest
from espnet3_prep.writers.paths import rewrite_row

HF_DIR = "hf_dataset"
HF_KEYS = {"embed_audio": False}
COLUMNS = ("utt_id", "audio", "text", "speaker", "gender", "duration", "sample_rate",
           "num_samples")
FEATURE_COLUMNS = ("feats", "num_frames", "feat_dim")


def hf_options(node: Any) -> dict[str, Any]:
    """``hf.*`` with defaults; ConfigError naming an unknown key or a non-boolean."""
    given = dict(node or {})
    unknown = sorted(set(given) - set(HF_KEYS))
    if unknown:
        raise ConfigError(f"hf: unknown key(s) {', '.join(unknown)}; valid: "
                          f"{', '.join(HF_KEYS)}")
    options = {**HF_KEYS, **given}
    if not isinstance(options["embed_audio"], bool):
        raise ConfigError(f"hf.embed_audio={options['embed_audio']!r}: use true or false")
    return options


def hf_split_name(split: str) -> str:
    """HF split names are ``\\w+``: ``dev-clean-2`` -> ``dev_clean_2`` (as ESPnet's data/)."""
    return re.sub(r"\W", "_", split)


def _features(embed: bool, with_feats: bool) -> Any:
    import datasets

    string, f64 = datasets.Value("string"), datasets.Value("float64")
    spec: dict[str, Any] = {name: string for name in COLUMNS}
    spec.update(audio=datasets.Audio() if embed else string, duration=f64,
                sample_rate=datasets.Value("int32"), num_samples=datasets.Value("int64"))
    if with_feats:
        spec.update(feats=string, num_frames=datasets.Value("int32"),
                     feat_dim=datasets.Value("int32"))
    return datasets.Features(spec)


def _row(row: dict[str, Any], embed: bool, with_feats: bool) -> dict[str, Any]:
    values = {name: row.get(name) for name in COLUMNS + (FEATURE_COLUMNS if with_feats else ())}
    if embed:
        path = str(row["audio"])
        values["audio"] = {"bytes": Path(path).read_bytes(), "path": os.path.basename(path)}
    return values


def write_hf_dataset(split_dir: Path, hf: dict[str, Any] | None = None) -> list[Path]:
    """Save one split into ``<output_dir>/hf_dataset/<split>`` and update the dict index."""
    import datasets
    import pyarrow as pa
    from datasets.table import InMemoryTable

    embed = hf_options(hf)["embed_audio"]
    rows = [rewrite_row(r, split_dir, "absolute") for r in iter_manifest(split_dir / MANIFEST)]
    with_feats = bool(rows) and "feats" in rows[0]
    features = _features(embed, with_feats)
    table = pa.Table.from_pylist([_row(r, embed, with_feats) for r in rows],
                                 schema=features.arrow_schema)
    digest = hashlib.sha256((split_dir / MANIFEST).read_bytes() + bytes([embed])
                            + str(split_dir.absolute()).encode()).hexdigest()
    name = hf_split_name(split_dir.name)
    dataset = datasets.Dataset(InMemoryTable(table), info=datasets.DatasetInfo(
        features=features), split=datasets.NamedSplit(name), fingerprint=digest[:16])
    root = split_dir.parent / HF_DIR
    final, tmp = root / name, root / f".{name}.tmp-{uuid.uuid4().hex[:8]}"
    for stale in root.glob(f".{name}.*-*") if root.is_dir() else ():  # an interrupted write
        shutil.rmtree(stale, ignore_errors=True)
    dataset.save_to_disk(str(tmp))
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    splits = sorted(p.name for p in root.iterdir()
                    if not p.name.startswith(".") and (p / "state.json").is_file())
    with atomic_open(root / "dataset_dict.json") as handle:
        handle.write(json.dumps({"splits": splits}))
    return [final, root / "dataset_dict.json"]


def hf_split_written(split_dir: Path) -> dict[str, Any] | None:
    """The ``hf.*`` options ``split_dir``'s saved HF split was written with (whether its
    audio is embedded), or None when the output has no HF split for it."""
    info = split_dir.parent / HF_DIR / hf_split_name(split_dir.name) / "dataset_info.json"
    try:
        features = json.loads(info.read_text(encoding="utf-8")).get("features") or {}
    except (OSError, ValueError):
        return None
    return {"embed_audio": (features.get("audio") or {}).get("_type") == "Audio"}
