"""``none`` feature type: no features are computed (manifest-only mode)."""

from __future__ import annotations

import numpy as np

from .base import FeatureExtractor

__all__ = ["NoFeatures"]


class NoFeatures(FeatureExtractor):
    """Extractor that produces nothing: ``dim == 0`` and ``extract`` returns ``None``.

    Its only option is ``sample_rate`` (input is still validated against it).
    """

    name = "none"
    produces_features = False

    @property
    def dim(self) -> int:
        """Always 0."""
        return 0

    def num_frames(self, num_samples: int) -> int:
        """Always 0: no frames are produced."""
        return 0

    def _extract(self, wave: np.ndarray, seed: int | None) -> None:
        return None
