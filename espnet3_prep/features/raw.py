"""``raw`` feature type: ESPnet2's ``feats_type=raw`` — no matrices, the audio itself.

``extract`` returns ``None`` (like ``none``), but the runner hands the decoded audio —
resampled to ``sample_rate``, channel picked or downmixed, segment cut out, speed
perturbation applied — to the shard's sink, which writes it as ``audio_format``
(16-bit FLAC or WAV) next to the shard's rows (see :mod:`espnet3_prep.writers.raw_dump`).
"""

from __future__ import annotations

import dataclasses

from .base import FeatureOptions
from .none import NoFeatures

__all__ = ["AUDIO_FORMATS", "RawAudio", "RawOptions"]

AUDIO_FORMATS = ("flac", "wav")


@dataclasses.dataclass(frozen=True)
class RawOptions(FeatureOptions):
    """``sample_rate`` of the dumped audio and its file format (``flac`` or ``wav``)."""

    audio_format: str = "flac"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.audio_format not in AUDIO_FORMATS:
            raise ValueError(f"feature.audio_format={self.audio_format!r}; choose one of "
                             f"{', '.join(AUDIO_FORMATS)}")


class RawAudio(NoFeatures):
    """Dumps the audio as the features would have seen it (``dumps_audio``); like
    ``none``, no feature matrix."""

    name = "raw"
    dumps_audio = True
    options_class = RawOptions
