"""``PrepRunner``: read, clean, extract features for one utterance (spec sections 2 and 6).

Cleaning runs inside ``forward``, so it behaves identically on every backend. Feature
arrays go from ``forward`` straight into the shard's feature storage
(:class:`~espnet3_prep.prep.sink.PrepSink`) in the same worker process; only small manifest
rows are kept.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from espnet3_prep.audio import audio_length, change_speed, load_audio, speed_length
from espnet3_prep.datasets.hf_tables import read_bytes
from espnet3_prep.errors import AudioReadError, ChannelOutOfRange
from espnet3_prep.execution.sinks import Dropped, ShardSink
from espnet3_prep.ids import validate_id
from espnet3_prep.prep.sink import PrepSink
from espnet3_prep.runner.base_runner import BaseRunner
from espnet3_prep.writers.feature_storage import DEFAULT, check_storage
from espnet3_prep.writers.paths import check_mode
from espnet3_prep.writers.shard_exports import SHARD_EXPORTS


class PrepRunner(BaseRunner):
    """One utterance in, one manifest row (or a drop with its reason) out."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any, cleaner: Any = None,
                audio_options: dict[str, Any] | None = None, **env: Any) -> Any:
        """Clean the text, decode and check the audio, compute features."""
        sample = dataset[idx]
        checked = _check_metadata(sample, cleaner)
        if isinstance(checked, Dropped):
            return checked
        options = audio_options or {}
        channel = checked.get("channel", options.get("channel"))
        if not needs_samples(model, cleaner, options):
            length = _read_length(checked, getattr(model, "sample_rate", None), options)
            if isinstance(length, Dropped):
                return length
            dropped = _check_length(checked, cleaner, *length)
            return dropped or _manifest_row(checked, None, length[0], length[1], model, channel)
        audio = _read_audio(checked, getattr(model, "sample_rate", None), options)
        if isinstance(audio, Dropped):
            return audio
        wave, sr = audio
        if cleaner is not None:
            reason, detail = cleaner.check_audio(checked, wave, sr)
            if reason:
                return Dropped(checked["utt_id"], reason, detail or "", round(len(wave) / sr, 6))
        row = _manifest_row(checked, wave, len(wave), sr, model, channel)
        if options.get("keep_wave"):  # export=[shar|webdataset]: the sink writes it
            row["wave"] = wave
        return row

    @classmethod
    def open_sink(cls, directory: Path | None, options: dict[str, Any]) -> ShardSink:
        """Write features to the shard's ark and rows to its results.jsonl."""
        return PrepSink(directory, options)

    def sink_defaults(self) -> dict[str, Any]:
        """Tell every shard's sink how to store features (``feature.storage``), the raw
        dump's format (``feature=raw``) and which tar parts to write (``export``)."""
        config = getattr(self.provider, "config", None)
        if config is None:  # a provider without a config: float32 ark, no tar parts
            return {"storage": DEFAULT}
        feature = _plain(config.get("feature")) or {}
        options: dict[str, Any] = {"storage": check_storage(feature)}
        if feature.get("type") == "raw":
            options["raw_audio_format"] = str(feature.get("audio_format", "flac"))
        exports = [n for n in (_plain(config.get("export")) or []) if n in SHARD_EXPORTS]
        if exports:
            options.update(exports=exports, export_shard_size=config.get("export_shard_size"),
                           export_feature={k: feature.get(k) for k in ("type", "frame_shift")},
                           paths=check_mode(config.get("paths")))
        return options


def _plain(node: Any) -> Any:
    from omegaconf import DictConfig, OmegaConf

    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node


def needs_samples(model: Any, cleaner: Any, audio_options: dict[str, Any] | None = None) -> bool:
    """Whether ``forward`` decodes the audio: features are computed, the audio is dumped
    (``feature=raw``) or kept for tar exports, or an enabled cleaning step reads the
    samples. Otherwise only the audio headers are read."""
    if model is not None and getattr(model, "produces_features", True):
        return True
    if getattr(model, "dumps_audio", False) or (audio_options or {}).get("keep_wave"):
        return True
    return cleaner is not None and bool(cleaner.sample_steps)


def _check_metadata(sample: dict[str, Any], cleaner: Any) -> dict[str, Any] | Dropped:
    """Id safety, duplicates and the cleaner's text stage (before any audio is read)."""
    utt_id = sample.get("utt_id")
    unsafe = validate_id(str(utt_id)) if utt_id is not None else "missing utt_id"
    if unsafe:  # enforced even with cleaner=none: ids become file names and scp keys
        return Dropped(None if utt_id is None else repr(utt_id), "invalid_utt_id", unsafe)
    if sample.get("speaker") is not None:  # a Kaldi key too (utt2spk, spk2utt)
        unsafe = validate_id(str(sample["speaker"]), "speaker")
        if unsafe:
            return Dropped(utt_id, "invalid_utt_id", unsafe)
    if "duplicate_utt_id" in sample.get("issues", ()):  # a scp key must be unique
        return Dropped(utt_id, "duplicate_utt_id", f"{utt_id} appears again in "
                       f"{sample.get('source', 'the inputs')}; the first one is kept")
    if sample.get("drop"):  # the corpus says so (e.g. a TED-LIUM ignore segment)
        return Dropped(utt_id, str(sample["drop"][0]), str(sample["drop"][1]))
    if cleaner is not None:
        sample, reason, detail = cleaner.check_text(sample)
        if reason:
            return Dropped(utt_id, reason, detail or "")
    if not sample.get("audio"):
        return Dropped(utt_id, "missing_audio", f"no audio file for {utt_id}")
    if sample.get("text") is None:
        return Dropped(utt_id, "missing_transcript", f"no transcript for {sample['audio']}")
    return sample


def _read_audio(sample: dict[str, Any], target_sr: int | None, options: dict[str, Any]
                ) -> tuple[np.ndarray, int] | Dropped:
    """Decode (resampled, downmixed, speed-perturbed) audio, or the reason it is dropped."""
    utt_id = sample["utt_id"]
    try:
        wave, sr = load_audio(_audio_source(sample), **_reading(sample, target_sr, options))
    except AudioReadError as exc:
        return _unreadable(utt_id, exc)
    if target_sr and sr != target_sr:  # only when dataset.resample=false
        return _wrong_rate(sample, sr, target_sr, len(wave))
    if sample.get("speed"):
        wave = change_speed(wave, float(sample["speed"]))
    return wave, sr


def _reading(sample: dict[str, Any], target_sr: int | None, options: dict[str, Any]
             ) -> dict[str, Any]:
    """The keyword arguments that both the decode and the header read take."""
    return {"target_sr": target_sr, "resample": options.get("resample", True),
            "channel": sample.get("channel", options.get("channel")),
            "segment": sample.get("segment")}


def _audio_source(sample: dict[str, Any]) -> Any:
    """The audio path, or for audio embedded in a table (``dataset=hf``) its bytes, kept
    on the sample for the sink to write into the shard."""
    if not sample.get("embedded"):
        return sample["audio"]
    table, column, row = sample["embedded"]
    sample["audio_bytes"] = read_bytes(str(table), str(column), int(row))
    return io.BytesIO(sample["audio_bytes"])


def _read_length(sample: dict[str, Any], target_sr: int | None, options: dict[str, Any]
                 ) -> tuple[int, int] | Dropped:
    """``(num_samples, sr)`` from the header, as :func:`_read_audio` would decode them."""
    utt_id = sample["utt_id"]
    try:
        num, sr = audio_length(_audio_source(sample), **_reading(sample, target_sr, options))
    except AudioReadError as exc:
        return _unreadable(utt_id, exc)
    if target_sr and sr != target_sr:  # only when dataset.resample=false
        return _wrong_rate(sample, sr, target_sr, num)
    if sample.get("speed"):
        num = speed_length(num, float(sample["speed"]))
    return num, sr


def _unreadable(utt_id: str, exc: AudioReadError) -> Dropped:
    """The ``unreadable_audio`` drop of a decode or header error, with the fix."""
    if isinstance(exc, ChannelOutOfRange):
        return Dropped(utt_id, "unreadable_audio", f"{exc} — pick a channel the file has "
                       "(the item's 'channel' field or dataset.channel), or null to average "
                       "all channels")
    return Dropped(utt_id, "unreadable_audio",
                   f"{exc} — re-download or remove this file, or exclude the utterance")


def _wrong_rate(sample: dict[str, Any], sr: int, target_sr: int, num: int) -> Dropped:
    return Dropped(sample["utt_id"], "wrong_sample_rate", f"{sample['audio']} is {sr} Hz, "
                   f"features need {target_sr} Hz; set dataset.resample=true",
                   round(num / sr, 6))


def _check_length(sample: dict[str, Any], cleaner: Any, num: int, sr: int) -> Dropped | None:
    """The cleaner's audio stage from the length alone (no step needs the samples)."""
    if cleaner is None:
        return None
    reason, detail = cleaner.check_length(sample, num, sr)
    return Dropped(sample["utt_id"], reason, detail or "", round(num / sr, 6)) if reason else None


def _manifest_row(sample: dict[str, Any], wave: np.ndarray | None, num: int, sr: int,
                  model: Any, channel: int | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "utt_id": sample["utt_id"],
        "speaker": sample.get("speaker"),
        "text": sample["text"],
        "audio": sample["audio"],
        "duration": round(num / sr, 6),
        "sample_rate": int(sr),
        "num_samples": int(num),
    }
    if sample.get("gender"):
        row["gender"] = sample["gender"]
    if sample.get("segment") is not None:
        row["segment"] = list(sample["segment"])
        if sample.get("recording"):
            row["recording"] = sample["recording"]
    if channel is not None:
        row["channel"] = int(channel)
    if sample.get("speed"):
        row["speed"] = float(sample["speed"])
    if sample.get("audio_bytes") is not None:
        row["audio_bytes"] = sample["audio_bytes"]
    if wave is not None and getattr(model, "dumps_audio", False):  # feature=raw: the sink
        row["wave"] = wave  # writes the audio
    if wave is not None and model is not None and getattr(model, "produces_features", True):
        seed = zlib.crc32(str(sample["utt_id"]).encode("utf-8"))
        row["feats"] = model.extract(wave, sr, seed=seed)
    return row
