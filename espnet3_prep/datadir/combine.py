"""``combine``: concatenate sorted Kaldi data dirs into one (like ``utils/combine_data.sh``).

A file is combined when every source has it (else it is left out, with a warning, as
Kaldi does). Utterance keys must be unique across sources; ``wav.scp`` (with segments) and
``spk2gender`` entries may repeat only with the same value. The output is sorted in
C-locale order, ``spk2utt`` is rebuilt from ``utt2spk``, ``feats_stats.npz`` is summed, and
the result is validated with :func:`~espnet3_prep.datadir.validate.validate_data_dir`.
Relative paths in ``wav.scp``/``feats.scp`` (``paths=relative``) are rewritten relative to
the output dir, so the combined dir reads the same files.
Combining one source copies it (how ``exp/<split>`` becomes ``data/<set>``).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from espnet3_prep.datadir.validate import (
    DataDirError,
    c_sort_key,
    read_keyed,
    validate_data_dir,
)
from espnet3_prep.storage.files import atomic_open
from espnet3_prep.writers.paths import reanchor_scp_value

log = logging.getLogger(__name__)
COMBINED_FILES = ("wav.scp", "text", "utt2spk", "utt2dur", "utt2num_frames", "feats.scp",
                  "segments", "spk2gender", "utt2lang")
SHARED_KEY_FILES = ("wav.scp", "spk2gender")  # keys may repeat across sources (same value)
STATS = "feats_stats.npz"


def _merge_file(name: str, sources: Sequence[Path], shared: bool,
                out: Path) -> list[tuple[str, str]]:
    """All lines of ``name`` from every source, sorted; ConfigError-style on clashes.
    Relative paths (``paths=relative``) are re-anchored at ``out``."""
    merged: dict[str, tuple[str, Path]] = {}
    for source in sources:
        for key, raw in read_keyed(source / name):
            value = reanchor_scp_value(raw, name, source, out)
            if key in merged:
                old_value, old_source = merged[key]
                if not shared or old_value != value:
                    raise DataDirError(f"combine: {name} key {key!r} is in both {old_source} "
                                       f"and {source}; utterance ids must be unique")
                continue
            merged[key] = (value, source)
    return sorted(((k, v) for k, (v, _) in merged.items()), key=lambda kv: c_sort_key(kv[0]))


def _write_keyed(path: Path, pairs: list[tuple[str, str]]) -> None:
    with atomic_open(path) as handle:
        for key, value in pairs:
            handle.write(f"{key} {value}\n")


def _write_spk2utt(path: Path, utt2spk: list[tuple[str, str]]) -> None:
    grouped: dict[str, list[str]] = {}
    for utt, spk in utt2spk:
        grouped.setdefault(spk, []).append(utt)
    _write_keyed(path, [(spk, " ".join(grouped[spk])) for spk in sorted(grouped, key=c_sort_key)])


def _sum_stats(out: Path, sources: Sequence[Path]) -> None:
    """Sum ``feats_stats.npz`` when every source has one of the same dimension."""
    paths = [s / STATS for s in sources]
    if not all(p.exists() for p in paths):
        return
    loaded = [np.load(p) for p in paths]
    if len({stats["sum"].shape for stats in loaded}) != 1:
        log.warning("combine: %s have different feature dims; not combined", STATS)
        return
    buffer = io.BytesIO()
    np.savez(buffer, count=np.asarray(sum(int(s["count"]) for s in loaded), dtype=np.int64),
             sum=sum(s["sum"] for s in loaded), sum_square=sum(s["sum_square"] for s in loaded))
    with atomic_open(out / STATS, "wb") as handle:
        handle.write(buffer.getvalue())


def combine_data_dirs(out: Path, sources: Sequence[Path]) -> list[str]:
    """Write the combined data dir ``out``; returns the names of the files written."""
    sources = [Path(s) for s in sources]
    if not sources:
        raise DataDirError("combine: give at least one source data dir")
    for source in sources:
        validate_data_dir(source)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in COMBINED_FILES:
        present = [s for s in sources if (s / name).exists()]
        if not present:
            continue
        if len(present) < len(sources):
            log.warning("combine: %s is missing in some sources; left out of %s", name, out)
            continue
        pairs = _merge_file(name, sources, shared=name in SHARED_KEY_FILES, out=out)
        _write_keyed(out / name, pairs)
        if name == "utt2spk":
            _write_spk2utt(out / "spk2utt", pairs)
            written.append("spk2utt")
        written.append(name)
    for stale in set(COMBINED_FILES) - set(written):
        (out / stale).unlink(missing_ok=True)
    _sum_stats(out, sources)
    validate_data_dir(out)
    return sorted(written)
