"""Audio-stage steps: ``zero_length``, ``nan_inf``, ``sample_rate``, ``duration``,
``clipping``, ``silence``. ``wave`` is the 1-D float32 array from ``load_audio``.

``zero_length``, ``sample_rate`` and ``duration`` are :class:`LengthStep` s: they need the
number of samples and the rate only, which the audio header gives without decoding."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from espnet3_prep.cleaners.base import (
    AUDIO_TOO_SHORT_FOR_TEXT,
    CLIPPING,
    NAN_OR_INF_SAMPLES,
    NEAR_SILENCE,
    TOO_LONG,
    TOO_SHORT,
    WRONG_SAMPLE_RATE,
    ZERO_LENGTH_AUDIO,
    AudioResult,
    AudioStep,
    LengthStep,
    OptionError,
)

OK: AudioResult = (None, None)


@dataclass(kw_only=True)
class ZeroLength(LengthStep):
    """No samples at all -> ``zero_length_audio``."""

    NAME = "zero_length"
    REASONS = (ZERO_LENGTH_AUDIO,)

    def check_length(self, sample: Mapping[str, Any], num_samples: int, sr: int
                     ) -> AudioResult:
        """Drop empty waveforms."""
        return (ZERO_LENGTH_AUDIO, "audio has 0 samples") if num_samples == 0 else OK


@dataclass(kw_only=True)
class NanInf(AudioStep):
    """Any NaN or infinite sample -> ``nan_or_inf_samples``."""

    NAME = "nan_inf"
    REASONS = (NAN_OR_INF_SAMPLES,)

    def check(self, sample: Mapping[str, Any], wave: np.ndarray, sr: int) -> AudioResult:
        """Drop waveforms with non-finite samples."""
        finite = np.isfinite(wave)
        if finite.all():
            return OK
        return NAN_OR_INF_SAMPLES, f"{int(finite.size - finite.sum())} NaN/inf samples"


@dataclass(kw_only=True)
class SampleRate(LengthStep):
    """Sample rate different from ``expected`` -> ``wrong_sample_rate`` (meant for runs
    with resampling disabled)."""

    NAME = "sample_rate"
    REASONS = (WRONG_SAMPLE_RATE,)

    expected: int = 16000

    def __post_init__(self) -> None:
        if self.expected <= 0:
            raise OptionError("expected", f"must be a positive rate in Hz, got {self.expected}")

    def check_length(self, sample: Mapping[str, Any], num_samples: int, sr: int
                     ) -> AudioResult:
        """Drop audio at another rate."""
        if int(sr) != self.expected:
            return WRONG_SAMPLE_RATE, f"sample rate {sr} Hz, expected {self.expected} Hz"
        return OK


@dataclass(kw_only=True)
class Duration(LengthStep):
    """Shorter than ``min_s`` -> ``too_short``; longer than ``max_s`` -> ``too_long``."""

    NAME = "duration"
    REASONS = (TOO_SHORT, TOO_LONG)

    min_s: float | None = None
    max_s: float | None = None

    def __post_init__(self) -> None:
        if self.min_s is not None and self.min_s < 0:
            raise OptionError("min_s", f"must be >= 0, got {self.min_s}")
        if self.min_s is not None and self.max_s is not None and self.max_s <= self.min_s:
            raise OptionError("max_s", f"must be greater than {{step}}.min_s={self.min_s}, "
                                       f"got {self.max_s}")

    def check_length(self, sample: Mapping[str, Any], num_samples: int, sr: int
                     ) -> AudioResult:
        """Drop audio outside ``[min_s, max_s]``."""
        seconds = num_samples / sr if sr else 0.0
        if self.min_s is not None and seconds < self.min_s:
            return TOO_SHORT, f"duration {seconds:.3f} s < min_s {self.min_s} s"
        if self.max_s is not None and seconds > self.max_s:
            return TOO_LONG, f"duration {seconds:.3f} s > max_s {self.max_s} s"
        return OK


@dataclass(kw_only=True)
class Clipping(AudioStep):
    """More than ``max_ratio`` of the samples at ``|x| >= threshold`` -> ``clipping``."""

    NAME = "clipping"
    REASONS = (CLIPPING,)

    max_ratio: float = 0.01
    threshold: float = 0.999

    def __post_init__(self) -> None:
        if not 0 <= self.max_ratio <= 1:
            raise OptionError("max_ratio", f"must be in [0, 1], got {self.max_ratio}")
        if not 0 < self.threshold <= 1:
            raise OptionError("threshold", f"must be in (0, 1], got {self.threshold}")

    def check(self, sample: Mapping[str, Any], wave: np.ndarray, sr: int) -> AudioResult:
        """Drop heavily clipped audio."""
        if wave.size == 0:
            return OK
        # |x| >= t somewhere iff max >= t or min <= -t (same dtype rules; NaN goes on):
        # two allocation-free reductions instead of abs + compare + count.
        if wave.max() < self.threshold and wave.min() > -self.threshold:
            return OK
        ratio = float(np.count_nonzero(np.abs(wave) >= self.threshold)) / wave.size
        if ratio > self.max_ratio:
            return CLIPPING, (f"{ratio:.2%} of samples at |x| >= {self.threshold} "
                              f"(max_ratio {self.max_ratio})")
        return OK


@dataclass(kw_only=True)
class Silence(AudioStep):
    """RMS level below ``min_rms_db`` dBFS -> ``near_silence``."""

    NAME = "silence"
    REASONS = (NEAR_SILENCE,)

    min_rms_db: float = -50.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.min_rms_db):
            raise OptionError("min_rms_db", f"must be a finite dBFS level, got {self.min_rms_db}")

    def check(self, sample: Mapping[str, Any], wave: np.ndarray, sr: int) -> AudioResult:
        """Drop (near) silent audio."""
        if wave.size == 0 or _surely_louder(wave, self.min_rms_db):
            return OK
        rms = math.sqrt(float(np.mean(np.square(wave, dtype=np.float64))))
        if not math.isfinite(rms):
            return OK  # NaN/inf is the nan_inf step's business
        level = 20.0 * math.log10(rms) if rms > 0 else -math.inf
        if level < self.min_rms_db:
            return NEAR_SILENCE, f"RMS level {level:.1f} dBFS < min_rms_db {self.min_rms_db}"
        return OK


@dataclass(kw_only=True)
class TextRate(LengthStep):
    """More than ``max_chars_per_s`` transcript characters (spaces not counted) per second
    of audio -> ``audio_too_short_for_text``: a truncated clip or a misaligned line
    (normal speech is ~10-18 characters/s in English, ~4-7 in Mandarin)."""

    NAME = "text_rate"
    REASONS = (AUDIO_TOO_SHORT_FOR_TEXT,)

    max_chars_per_s: float = 30.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.max_chars_per_s) and self.max_chars_per_s > 0):
            raise OptionError("max_chars_per_s", f"must be a positive number, got "
                                                 f"{self.max_chars_per_s}")

    def check_length(self, sample: Mapping[str, Any], num_samples: int, sr: int
                     ) -> AudioResult:
        """Drop audio too short to hold its transcript."""
        chars = sum(1 for c in str(sample.get("text") or "") if not c.isspace())
        seconds = num_samples / sr if sr else 0.0
        if chars and chars > self.max_chars_per_s * seconds:
            return AUDIO_TOO_SHORT_FOR_TEXT, (
                f"{chars} characters in {seconds:.3f} s of audio (> max_chars_per_s "
                f"{self.max_chars_per_s}): truncated audio or a transcript of another clip")
        return OK


def _surely_louder(wave: np.ndarray, min_rms_db: float) -> bool:
    """True only if the exact (float64) RMS level of ``wave`` is >= ``min_rms_db``.

    A float32 dot product (one fast pass, no float64 copy) gives the sum of squares with a
    relative error below ``(n + 2) * 2**-24`` whatever the summation order; when even the
    lower end of that range is above the threshold the exact check would keep the item,
    so it is skipped. Anything close, non-finite or not float32 takes the exact path.
    """
    n = wave.shape[0]
    bound = 2.0 * (n + 2) * 2.0**-24
    if wave.dtype != np.float32 or wave.ndim != 1 or bound >= 0.5:
        return False
    # mean square, lower bound (1e-44: squares rounded up to float32 subnormals)
    lowest = float(np.dot(wave, wave)) * (1.0 - bound) / n - 1e-44
    if not (math.isfinite(lowest) and lowest > 0.0):
        return False
    return 10.0 * math.log10(lowest) > min_rms_db + 1e-6  # margin >> log10 rounding
