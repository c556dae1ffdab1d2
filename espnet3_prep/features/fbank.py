"""Kaldi-compatible log mel filterbank features (numpy/scipy)."""

from __future__ import annotations

import dataclasses

import numpy as np

from .base import FeatureExtractor
from .frontend import MelFrontend
from .kaldi_frames import KaldiOptions

__all__ = ["Fbank", "FbankOptions"]


@dataclasses.dataclass(frozen=True)
class FbankOptions(KaldiOptions):
    """Options of :class:`Fbank`: ``torchaudio.compliance.kaldi.fbank``'s names and defaults,
    except ``num_mel_bins=80`` (torchaudio: 23), plus ``sample_rate`` (torchaudio's
    ``sample_frequency``) and ``waveform_scale``. VTLN and ``channel`` are not supported.
    """

    num_mel_bins: int = 80
    use_log_fbank: bool = True
    use_power: bool = True


class Fbank(FeatureExtractor):
    """Log mel filterbank energies matching ``torchaudio.compliance.kaldi.fbank``.

    ``Fbank(**opts).extract(wave, sr)`` equals
    ``kaldi.fbank(torch.from_numpy(wave * waveform_scale)[None], sample_frequency=sr, **opts)``
    up to float32 rounding. Output columns: ``[energy,] mel_0 .. mel_{n-1}`` (energy last
    with ``htk_compat``) when ``use_energy``.
    """

    name = "fbank"
    options_class = FbankOptions
    options: FbankOptions

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self._frontend = MelFrontend(self.options, use_power=self.options.use_power)
        self._geometry = self.options.geometry()

    @property
    def dim(self) -> int:
        """``num_mel_bins``, plus one if ``use_energy``."""
        return self.options.num_mel_bins + int(self.options.use_energy)

    def num_frames(self, num_samples: int) -> int:
        """Exact number of output frames for ``num_samples`` input samples."""
        return self._geometry.num_frames(num_samples)

    def _extract(self, wave: np.ndarray, seed: int | None) -> np.ndarray:
        opts = self.options
        m = self.num_frames(wave.shape[0])
        out = np.empty((m, self.dim), np.float32)
        if m == 0:
            return out
        energy_col = None
        mel_cols = out
        if opts.use_energy:
            energy_col = opts.num_mel_bins if opts.htk_compat else 0
            mel_cols = out[:, :-1] if opts.htk_compat else out[:, 1:]
        rng = np.random.default_rng(seed) if opts.dither > 0.0 else None
        energy = self._frontend.compute(wave, rng, mel_cols, log_mel=opts.use_log_fbank)
        if energy_col is not None:
            out[:, energy_col] = energy
        if opts.subtract_mean:
            out -= out.mean(axis=0, keepdims=True)
        return out
