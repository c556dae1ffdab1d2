"""Kaldi-compatible framing: options, window functions, frame counts and frame views.

Semantics follow ``torchaudio.compliance.kaldi`` (and thus Kaldi's
``compute-fbank-feats``/``compute-mfcc-feats``); option names are identical.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .base import FeatureOptions, option_error
from .mel import mel_banks

__all__ = [
    "WINDOW_TYPES",
    "FrameGeometry",
    "KaldiOptions",
    "extended_waveform",
    "window_function",
]

WINDOW_TYPES = ("hamming", "hanning", "povey", "rectangular", "blackman")
MS_TO_S = 0.001
MIN_WINDOW_SAMPLES = 16
"""Shortest frame accepted (samples): fewer cannot hold a spectrum worth computing."""
MAX_WINDOW_SAMPLES = 2**17
"""Longest (padded) frame accepted (samples): 8 s at 16 kHz."""
MAX_WAVEFORM_SCALE = 2.0**31
MAX_FRAME_MS = 10_000.0


@dataclasses.dataclass(frozen=True)
class FrameGeometry:
    """Frame sizes in samples, derived from the options exactly as torchaudio does."""

    window_size: int
    window_shift: int
    padded_window_size: int
    snip_edges: bool
    min_samples: float

    def num_frames(self, num_samples: int) -> int:
        """Frame count for ``num_samples`` samples (Kaldi's ``NumFrames`` with flush)."""
        n = int(num_samples)
        if n <= 0 or n < self.min_samples:
            return 0
        if self.snip_edges:
            return 0 if n < self.window_size else 1 + (n - self.window_size) // self.window_shift
        return (n + self.window_shift // 2) // self.window_shift

    def first_sample_offset(self) -> int:
        """Index (in the input) of frame 0's first sample; negative when reflecting."""
        if self.snip_edges:
            return 0
        return self.window_shift // 2 - self.window_size // 2


@dataclasses.dataclass(frozen=True)
class KaldiOptions(FeatureOptions):
    """Framing and mel options shared by ``fbank`` and ``mfcc`` (torchaudio names/defaults).

    ``waveform_scale`` multiplies the [-1, 1] float input before anything else, because
    Kaldi (and its defaults such as ``energy_floor`` and ``dither``) works on int16-scale
    samples; 32768 reproduces ``torchaudio.compliance.kaldi`` applied to ``wave * 32768``.
    ``dither`` is therefore in int16 units too. ``frame_length``/``frame_shift`` are in ms.
    """

    waveform_scale: float = 32768.0
    frame_length: float = 25.0
    frame_shift: float = 10.0
    dither: float = 0.0
    preemphasis_coefficient: float = 0.97
    remove_dc_offset: bool = True
    window_type: str = "povey"
    blackman_coeff: float = 0.42
    round_to_power_of_two: bool = True
    snip_edges: bool = True
    min_duration: float = 0.0
    num_mel_bins: int = 23
    low_freq: float = 20.0
    high_freq: float = 0.0
    use_energy: bool = False
    energy_floor: float = 1.0
    raw_energy: bool = True
    htk_compat: bool = False
    subtract_mean: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_frame()
        if not 0.0 <= self.preemphasis_coefficient <= 1.0:
            raise option_error("preemphasis_coefficient", self.preemphasis_coefficient,
                               "must be in [0, 1]", "0.97")
        if self.window_type not in WINDOW_TYPES:
            raise option_error("window_type", self.window_type,
                               f"must be one of {', '.join(WINDOW_TYPES)}", "povey")
        for key in ("dither", "energy_floor", "min_duration"):
            if getattr(self, key) < 0.0:
                raise option_error(key, getattr(self, key), "must be >= 0", "0.0")
        if not 0.0 < self.waveform_scale <= MAX_WAVEFORM_SCALE:
            raise option_error("waveform_scale", self.waveform_scale,
                               f"must be in (0, {MAX_WAVEFORM_SCALE:g}]", "32768.0")
        self.mel_range()  # validates low_freq / high_freq
        check_mel_bins(self)

    def _check_frame(self) -> None:
        """Kaldi's framing constraints: a frame of a few samples at least, shift <= length."""
        for key in ("frame_length", "frame_shift"):
            if not 0.0 < getattr(self, key) <= MAX_FRAME_MS:
                raise option_error(key, getattr(self, key), f"must be in (0, {MAX_FRAME_MS:g}] "
                                   "ms", "25.0" if key == "frame_length" else "10.0")
        geo = self.geometry()
        if geo.window_shift <= 0:
            raise option_error("frame_shift", self.frame_shift,
                               f"gives a shift of {geo.window_shift} samples at "
                               f"feature.sample_rate={self.sample_rate}", "10.0")
        if geo.window_size < MIN_WINDOW_SAMPLES:
            raise option_error("frame_length", self.frame_length,
                               f"gives a frame of {geo.window_size} samples at "
                               f"feature.sample_rate={self.sample_rate} (at least "
                               f"{MIN_WINDOW_SAMPLES})", "25.0")
        if geo.padded_window_size > MAX_WINDOW_SAMPLES:
            raise option_error("frame_length", self.frame_length,
                               f"gives a frame of {geo.padded_window_size} samples at "
                               f"feature.sample_rate={self.sample_rate} (at most "
                               f"{MAX_WINDOW_SAMPLES})", "25.0")
        if self.frame_length < self.frame_shift:
            raise option_error("frame_shift", self.frame_shift,
                               f"is longer than feature.frame_length={self.frame_length} "
                               "(frames would skip samples)", f"{self.frame_length / 2.5:g}")
        if geo.padded_window_size % 2:
            raise option_error("frame_length", self.frame_length,
                               "gives an odd FFT size (Kaldi needs an even one) with "
                               "feature.round_to_power_of_two=false", "25.0")

    def geometry(self) -> FrameGeometry:
        """Frame sizes in samples (same float arithmetic as torchaudio)."""
        sr = float(self.sample_rate)
        shift = int(sr * self.frame_shift * MS_TO_S)
        size = int(sr * self.frame_length * MS_TO_S)
        padded = size
        if self.round_to_power_of_two:
            padded = 1 if size == 0 else 2 ** (size - 1).bit_length()
        return FrameGeometry(size, shift, padded, self.snip_edges, self.min_duration * sr)

    def mel_range(self) -> tuple[float, float]:
        """Validated ``(low_freq, high_freq)`` in Hz (non-positive high_freq → nyquist offset)."""
        nyquist = 0.5 * self.sample_rate
        high = self.high_freq + nyquist if self.high_freq <= 0.0 else self.high_freq
        if not 0.0 <= self.low_freq < nyquist:
            raise option_error("low_freq", self.low_freq,
                               f"must be in [0, {nyquist:g}) (Nyquist of feature.sample_rate="
                               f"{self.sample_rate})", "20.0")
        if not (0.0 < high <= nyquist and self.low_freq < high):
            raise option_error("high_freq", self.high_freq,
                               f"must be in (feature.low_freq={self.low_freq:g}, {nyquist:g}] "
                               f"(Nyquist of feature.sample_rate={self.sample_rate}); <= 0 is "
                               "an offset from Nyquist", "0.0")
        return self.low_freq, high


def window_function(window_type: str, size: int, blackman_coeff: float = 0.42) -> np.ndarray:
    """Kaldi window of ``size`` samples (float64), as ``torchaudio.compliance.kaldi``."""
    n = np.arange(size, dtype=np.float64)
    a = 2.0 * math.pi / (size - 1)
    if window_type == "hanning":
        return 0.5 - 0.5 * np.cos(a * n)
    if window_type == "povey":
        return (0.5 - 0.5 * np.cos(a * n)) ** 0.85
    if window_type == "hamming":
        return 0.54 - 0.46 * np.cos(a * n)
    if window_type == "rectangular":
        return np.ones(size)
    if window_type == "blackman":
        return blackman_coeff - 0.5 * np.cos(a * n) + (0.5 - blackman_coeff) * np.cos(2 * a * n)
    raise ValueError(f"feature.window_type must be one of {WINDOW_TYPES}, got {window_type!r}")


def extended_waveform(x: np.ndarray, geo: FrameGeometry, num_frames: int) -> np.ndarray:
    """Samples covered by ``num_frames`` frames, frame 0 starting at index 0.

    With ``snip_edges=False`` the signal is mirrored at both ends like Kaldi
    (``-1 → 0, -2 → 1``; ``n → n-1``), repeatedly if needed, i.e. ``np.pad(mode="symmetric")``.
    """
    start = geo.first_sample_offset()
    stop = start + (num_frames - 1) * geo.window_shift + geo.window_size
    n = x.shape[0]
    if start >= 0 and stop <= n:
        return x[start:stop]
    left, right = max(0, -start), max(0, stop - n)
    padded = np.pad(x, (left, right), mode="symmetric")
    return padded[start + left : stop + left]


def check_mel_bins(opts: KaldiOptions) -> None:
    """Kaldi's mel-bank rules: at least 4 bins, no more than the FFT bins, and no filter
    without an FFT bin ("you may have set --num-mel-bins too large")."""
    fft_bins = opts.geometry().padded_window_size // 2
    low, high = opts.mel_range()

    def empty(bins: int) -> bool:
        banks = mel_banks(bins, 2 * fft_bins, float(opts.sample_rate), low, high)
        return bool((banks.max(axis=0) <= 0.0).any())

    bins = opts.num_mel_bins
    if bins >= 4 and bins <= fft_bins and not empty(bins):
        return
    good, bad = 3, min(bins, fft_bins + 1)  # largest count without empty filters
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if not empty(mid) else (good, mid)
    why = "must be at least 4" if bins < 4 else (
        f"leaves empty mel filters: the {2 * fft_bins}-sample FFT of feature.frame_length="
        f"{opts.frame_length} ms at feature.sample_rate={opts.sample_rate} fits at most "
        f"{good} bins between feature.low_freq={opts.low_freq:g} and feature.high_freq="
        f"{opts.high_freq:g}")
    raise option_error("num_mel_bins", bins, why, str(min(80, good)) if good >= 4 else "80")
