"""Kaldi-compatible MFCC features (numpy/scipy)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .base import FeatureExtractor, option_error
from .frontend import MelFrontend
from .kaldi_frames import KaldiOptions
from .mel import dct_matrix, lifter_coeffs

__all__ = ["Mfcc", "MfccOptions"]


@dataclasses.dataclass(frozen=True)
class MfccOptions(KaldiOptions):
    """Options of :class:`Mfcc`: ``torchaudio.compliance.kaldi.mfcc``'s names and defaults
    (``num_mel_bins=23``, ``num_ceps=13``, ``cepstral_lifter=22``), plus ``sample_rate`` and
    ``waveform_scale``. VTLN and ``channel`` are not supported.
    """

    num_ceps: int = 13
    cepstral_lifter: float = 22.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 1 <= self.num_ceps <= self.num_mel_bins:
            raise option_error("num_ceps", self.num_ceps, "must be in [1, feature.num_mel_bins="
                               f"{self.num_mel_bins}]", str(min(13, self.num_mel_bins)))
        if self.cepstral_lifter < 0.0:
            raise option_error("cepstral_lifter", self.cepstral_lifter, "must be >= 0", "22.0")


class Mfcc(FeatureExtractor):
    """MFCCs matching ``torchaudio.compliance.kaldi.mfcc`` (see :class:`Fbank` for scaling).

    With ``use_energy`` the C0 column is replaced by the frame log-energy; with
    ``htk_compat`` C0/energy moves to the last column (C0 scaled by sqrt(2) if no energy).
    """

    name = "mfcc"
    options_class = MfccOptions
    options: MfccOptions

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        opts = self.options
        self._frontend = MelFrontend(opts, use_power=True)
        self._geometry = opts.geometry()
        dct = dct_matrix(opts.num_ceps, opts.num_mel_bins) * lifter_coeffs(
            opts.num_ceps, opts.cepstral_lifter
        )
        self._energy_col = 0
        if opts.htk_compat:  # move C0 last; undo the DCT's extra 1/sqrt(2) on C0
            c0 = dct[:, :1] * (1.0 if opts.use_energy else math.sqrt(2.0))
            dct = np.concatenate([dct[:, 1:], c0], axis=1)
            self._energy_col = opts.num_ceps - 1
        self._dct = np.ascontiguousarray(dct, dtype=np.float32)

    @property
    def dim(self) -> int:
        """``num_ceps``."""
        return self.options.num_ceps

    def num_frames(self, num_samples: int) -> int:
        """Exact number of output frames for ``num_samples`` input samples."""
        return self._geometry.num_frames(num_samples)

    def _extract(self, wave: np.ndarray, seed: int | None) -> np.ndarray:
        opts = self.options
        m = self.num_frames(wave.shape[0])
        if m == 0:
            return np.empty((0, self.dim), np.float32)
        rng = np.random.default_rng(seed) if opts.dither > 0.0 else None
        mel = np.empty((m, opts.num_mel_bins), np.float32)
        energy = self._frontend.compute(wave, rng, mel, log_mel=True)
        out = mel @ self._dct
        if energy is not None:
            out[:, self._energy_col] = energy
        if opts.subtract_mean:
            out -= out.mean(axis=0, keepdims=True)
        return np.ascontiguousarray(out)
