"""Common interface of feature extractors and their option dataclasses."""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np

from espnet3_prep.errors import ConfigError

__all__ = ["FeatureExtractor", "FeatureOptions", "option_error"]

SAMPLE_RATES = (1000, 768_000)
"""Accepted ``feature.sample_rate`` range (Hz): the audio is resampled to it."""


def option_error(key: str, value: Any, why: str, example: str) -> ConfigError:
    """``feature.<key>=<value>: <why> — e.g. feature.<key>=<example>``."""
    return ConfigError(f"feature.{key}={value!r}: {why} — e.g. feature.{key}={example}")


def _coerce(key: str, value: Any, default: Any) -> Any:
    """Check ``value`` against the type of the option's default; return the coerced value."""
    example = str(default).lower() if isinstance(default, bool) else str(default)
    if isinstance(default, bool):
        if not isinstance(value, bool | np.bool_):
            raise option_error(key, value, "must be true or false", example)
        return bool(value)
    if isinstance(default, int):
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
            raise option_error(key, value, "must be an integer", example)
        return int(value)
    if isinstance(default, float):
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
            raise option_error(key, value, "must be a number", example)
        if not math.isfinite(float(value)):
            raise option_error(key, value, "must be a finite number", example)
        return float(value)
    if isinstance(default, str) and not isinstance(value, str):
        raise option_error(key, value, "must be a string", example)
    return value


@dataclasses.dataclass(frozen=True)
class FeatureOptions:
    """Options shared by every feature type.

    Subclasses add fields; every field needs a default (its type is taken from it).
    """

    sample_rate: int = 16000

    @classmethod
    def option_names(cls) -> list[str]:
        """Names of all options, in declaration order."""
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> Self:
        """Build options from a flat mapping, rejecting unknown keys and wrong types.

        Raises:
            ValueError: unknown key (the message names ``feature.<key>`` and lists the valid
                options), a value of the wrong type, or an invalid value.
        """
        valid = cls.option_names()
        unknown = [k for k in cfg if k not in valid]
        if unknown:
            keys = ", ".join(f"feature.{k}" for k in unknown)
            raise ValueError(f"unknown option(s) {keys}; valid options: {', '.join(valid)}")
        defaults = {f.name: f.default for f in dataclasses.fields(cls)}
        return cls(**{k: _coerce(k, v, defaults[k]) for k, v in cfg.items()})

    def __post_init__(self) -> None:
        low, high = SAMPLE_RATES
        if not low <= self.sample_rate <= high:
            raise option_error("sample_rate", self.sample_rate,
                               f"must be a rate in Hz in [{low}, {high}]", "16000")

    def as_dict(self) -> dict[str, Any]:
        """All options as a plain dict."""
        return dataclasses.asdict(self)


class FeatureExtractor(ABC):
    """Base class of feature extractors.

    Construct with keyword options (``Fbank(num_mel_bins=40)``); unknown options raise
    ``ValueError``. Subclasses set ``name``, ``options_class`` and implement ``dim``,
    ``num_frames`` and ``_extract``.

    Attributes:
        name: feature type name used in configs (``feature.type``).
        produces_features: False for extractors (like ``none``) whose ``extract``
            returns ``None`` (manifest-only mode).
        options: the validated, immutable options.
    """

    name: ClassVar[str]
    produces_features: ClassVar[bool] = True
    options_class: ClassVar[type[FeatureOptions]] = FeatureOptions

    def __init__(self, **options: Any) -> None:
        self.options = self.options_class.from_mapping(options)

    @property
    def sample_rate(self) -> int:
        """Sample rate (Hz) the extractor expects its input at."""
        return self.options.sample_rate

    @property
    @abstractmethod
    def dim(self) -> int:
        """Feature dimension (number of columns of ``extract``'s output; 0 if none)."""

    @abstractmethod
    def num_frames(self, num_samples: int) -> int:
        """Number of frames ``extract`` returns for ``num_samples`` samples, without computing."""

    @abstractmethod
    def _extract(self, wave: np.ndarray, seed: int | None) -> np.ndarray | None:
        """Compute features of a validated float32 1-D waveform."""

    def extract(self, wave: np.ndarray, sr: int, seed: int | None = None) -> np.ndarray | None:
        """Compute features of a mono waveform.

        Args:
            wave: 1-D floating-point samples in [-1, 1] (converted to float32).
            sr: sample rate of ``wave``; must equal ``self.sample_rate``.
            seed: seed of ``np.random.default_rng`` used for dithering (if any), making
                results reproducible.

        Returns:
            float32 C-contiguous array of shape ``(num_frames, dim)``, or ``None`` when
            ``produces_features`` is False.

        Raises:
            ValueError: ``sr`` differs from ``sample_rate``, or ``wave`` is not a 1-D
                floating-point array.
        """
        if int(sr) != self.sample_rate:
            raise ValueError(
                f"sample rate mismatch: waveform is {sr} Hz but feature.sample_rate is "
                f"{self.sample_rate} Hz (resample the audio or change feature.sample_rate)"
            )
        arr = np.asarray(wave)
        if arr.ndim != 1:
            raise ValueError(f"expected a 1-D mono waveform, got shape {arr.shape}")
        if not np.issubdtype(arr.dtype, np.floating):
            raise ValueError(f"expected a floating-point waveform in [-1, 1], got {arr.dtype}")
        return self._extract(np.ascontiguousarray(arr, dtype=np.float32), seed)

    def describe(self) -> dict[str, Any]:
        """Type and all options as a plain dict (for manifests and plan hashing)."""
        return {"type": self.name, **self.options.as_dict()}

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.as_dict().items())
        return f"{type(self).__name__}({opts})"
