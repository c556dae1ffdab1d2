"""``feature=raw``: ESPnet2's ``dump/raw`` — one audio file per utterance in its shard.

Each kept utterance's audio, exactly as the features would have seen it, is written as
16-bit ``<utt_id>.flac`` (or ``.wav``) into the shard folder, and its row then points at
that file: ``audio`` is the dumped file, ``sample_rate``/``num_samples`` describe it, and
what was done to the original moves under ``source`` (its ``audio``, ``segment``,
``recording``, ``channel``, ``speed``), so ``wav.scp`` lists plain files — no ``segments``
and no ``sox`` pipes — as ESPnet2's ``format_wav_scp.sh`` writes it. The split then also
gets ``utt2num_samples``, ``feats_type`` (``raw``) and ``audio_format``. Original files are
only read. libsndfile's encoders are deterministic: reruns and backends give the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from espnet3_prep.storage.files import AtomicBatch, atomic_open

SUBTYPE = "PCM_16"
SOURCE_KEYS = ("audio", "segment", "recording", "channel", "speed")


class RawDumpWriter:
    """Writes one audio file per utterance into a shard folder."""

    def __init__(self, directory: Path, final_dir: Path, audio_format: str = "flac") -> None:
        self.directory = Path(directory)
        self.final_dir = Path(final_dir)
        self.audio_format = audio_format

    def dump(self, row: dict[str, Any], wave: np.ndarray) -> dict[str, Any]:
        """Write ``wave`` as ``<utt_id>.<format>``; returns the row pointing at it."""
        import soundfile

        name = f"{row['utt_id']}.{self.audio_format}"
        soundfile.write(str(self.directory / name), to_int16(wave), int(row["sample_rate"]),
                        subtype=SUBTYPE, format=self.audio_format.upper())
        source = {key: row[key] for key in SOURCE_KEYS if key in row}
        out = {key: (str(self.final_dir / name) if key == "audio" else value)
               for key, value in row.items() if key == "audio" or key not in SOURCE_KEYS}
        out["source"] = source
        return out


def to_int16(wave: np.ndarray) -> np.ndarray:
    """Samples in [-1, 1) to int16 as libsndfile reads them back (x 32768, rounded,
    clipped): audio that was 16-bit and untouched comes back bit-exact."""
    scaled = np.multiply(wave, np.float32(32768.0), dtype=np.float32)  # exact: a power of 2
    np.rint(scaled, out=scaled)
    np.clip(scaled, -32768, 32767, out=scaled)
    return scaled.astype(np.int16)


def write_raw_info(split_dir: Path, audio_format: str, batch: AtomicBatch | None = None
                   ) -> list[Path]:
    """``feats_type`` and ``audio_format``, as ESPnet2's asr.sh writes them."""
    written = []
    for name, value in (("feats_type", "raw"), ("audio_format", audio_format)):
        with atomic_open(split_dir / name, batch=batch) as handle:
            handle.write(value + "\n")
        written.append(split_dir / name)
    return written
