"""Shared fixtures for feature tests: torchaudio's Kaldi reference and test signals."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest
import scipy.signal

from espnet3_prep.torchaudio_compat import import_torchaudio


def speech_like(seconds: float, sr: int = 16000, seed: int = 0) -> np.ndarray:
    """Deterministic speech-like float32 signal in [-1, 1].

    Formant-filtered noise and a glottal-like harmonic series with vibrato, modulated at a
    syllable rate, plus two steady sines.
    """
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    noise = rng.standard_normal(n)
    for formant, bandwidth in ((700.0, 130.0), (1220.0, 70.0), (2600.0, 160.0)):
        if formant < sr / 2:
            r = np.exp(-np.pi * bandwidth / sr)
            a = [1.0, -2.0 * r * np.cos(2 * np.pi * formant / sr), r * r]
            noise = noise + 0.3 * scipy.signal.lfilter([1.0 - r], a, noise)
    f0 = 120.0 + 15.0 * np.sin(2 * np.pi * 3.0 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    voiced = sum(np.sin(k * phase) / k for k in range(1, 20) if 130.0 * k < sr / 2)
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t + rng.uniform(0, 2 * np.pi))
    sines = 0.2 * np.sin(2 * np.pi * 440.0 * t) + 0.05 * np.sin(2 * np.pi * (sr / 5.3) * t)
    x = envelope * (0.05 * noise + 0.2 * voiced) + sines
    return (0.8 * x / np.max(np.abs(x))).astype(np.float32)


@pytest.fixture(scope="session")
def kaldi() -> ModuleType:
    """``torchaudio.compliance.kaldi``, imported through the project's compat helper."""
    return import_torchaudio().compliance.kaldi


@pytest.fixture(scope="session")
def signal() -> Callable[..., np.ndarray]:
    """Factory ``signal(seconds, sr=16000, seed=0)`` of speech-like test waveforms."""
    return speech_like


@pytest.fixture(scope="session")
def reference(kaldi: ModuleType) -> Callable[..., np.ndarray]:
    """``reference(kind, wave, sr, **opts)``: torchaudio's features of ``wave * 32768``."""
    import torch

    def run(kind: str, wave: np.ndarray, sr: int = 16000, **opts: object) -> np.ndarray:
        tensor = torch.from_numpy(wave.astype(np.float32) * np.float32(32768.0))[None]
        return getattr(kaldi, kind)(tensor, sample_frequency=float(sr), **opts).numpy()

    return run
