"""``PrepProvider``: dataset + feature extractor + cleaner, built once per process."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

from espnet3_prep.cleaners import build_cleaner
from espnet3_prep.datasets import build_dataset
from espnet3_prep.features import build_feature
from espnet3_prep.runner.inference_provider import InferenceProvider


def _plain(node: Any) -> Any:
    if isinstance(node, DictConfig):
        return OmegaConf.to_container(node, resolve=True)
    return node


class PrepProvider(InferenceProvider):
    """Builds the split's dataset, the feature extractor (``model``) and the cleaner.

    The config is the full composed config with ``dataset.split`` naming the split.
    """

    @staticmethod
    def build_dataset(cfg: DictConfig) -> Any:
        """The split's dataset (a lazy, sorted sequence of sample dicts): loaded from the
        item index the driver saved (``item_index``, set by ``build_runner``), else
        scanned."""
        index = cfg.get("item_index")
        return build_dataset(_plain(cfg.dataset), str(cfg.dataset.split),
                             index=str(index) if index else None)

    @staticmethod
    def build_model(cfg: DictConfig) -> Any:
        """The feature extractor (``feature=none`` gives one that produces no arrays)."""
        return build_feature(_plain(cfg.feature))

    @staticmethod
    def build_extras(cfg: DictConfig) -> dict[str, Any]:
        """The cleaner and the audio-reading options."""
        dataset = _plain(cfg.dataset)
        exports = _plain(cfg.get("export")) or []
        return {
            "cleaner": build_cleaner(_plain(cfg.get("cleaner"))),
            "audio_options": {"resample": bool(dataset.get("resample", True)),
                              "channel": dataset.get("channel"),
                              # export=[shar|webdataset]: the sink writes the audio too
                              "keep_wave": any(name in ("shar", "webdataset")
                                               for name in exports)},
        }
