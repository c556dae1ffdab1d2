"""Feature extractors (Kaldi-compatible fbank / mfcc in numpy, or none).

Adding a feature type: write a module with a :class:`FeatureExtractor` subclass, add a
``conf/feature/<name>.yaml`` and one line to :data:`FEATURES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .base import FeatureExtractor, FeatureOptions
from .fbank import Fbank, FbankOptions
from .mfcc import Mfcc, MfccOptions
from .none import NoFeatures
from .raw import RawAudio

if TYPE_CHECKING:
    from omegaconf import DictConfig

__all__ = [
    "FEATURES",
    "Fbank",
    "FbankOptions",
    "FeatureExtractor",
    "FeatureOptions",
    "Mfcc",
    "MfccOptions",
    "NoFeatures",
    "RawAudio",
    "build_feature",
]

#: Registry of feature types: ``feature.type`` → extractor class.
FEATURES: dict[str, type[FeatureExtractor]] = {
    Fbank.name: Fbank,
    Mfcc.name: Mfcc,
    NoFeatures.name: NoFeatures,
    RawAudio.name: RawAudio,
}


def _to_plain_dict(cfg: Mapping[str, Any] | DictConfig) -> dict[str, Any]:
    """Plain dict from a mapping or an OmegaConf ``DictConfig`` (interpolations resolved)."""
    try:
        from omegaconf import DictConfig as _DictConfig
        from omegaconf import OmegaConf
    except ImportError:  # omegaconf is optional for this module
        _DictConfig = None
    if _DictConfig is not None and isinstance(cfg, _DictConfig):
        return dict(OmegaConf.to_container(cfg, resolve=True))
    if not isinstance(cfg, Mapping):
        raise ValueError(f"feature config must be a mapping, got {type(cfg).__name__}")
    return dict(cfg)


def build_feature(cfg: Mapping[str, Any] | DictConfig | None) -> FeatureExtractor:
    """Instantiate a feature extractor from a flat config.

    Args:
        cfg: mapping with key ``type`` (one of :data:`FEATURES`) and that type's options;
            ``None`` means no features (:class:`NoFeatures` with default options).
            ``storage`` is ignored here (checked by ``writers.feature_storage``).

    Raises:
        ValueError: missing/unknown ``type``, unknown option (message names
            ``feature.<option>`` and lists the valid ones), or an invalid value.
    """
    if cfg is None:
        return NoFeatures()
    options = _to_plain_dict(cfg)
    options.pop("storage", None)  # how features are stored: writers.feature_storage
    kind = options.pop("type", None)
    if not isinstance(kind, str) or kind not in FEATURES:
        raise ValueError(f"feature.type must be one of {sorted(FEATURES)}, got {kind!r}")
    return FEATURES[kind](**options)
