"""The spec's sections 1 and 2 as written (``espnet3`` -> ``espnet3_prep``), plus the
helpers the spec leaves to the user, made real: FLAC files of the embedded mini
LibriSpeech decoded with soundfile, our Kaldi fbank, one ``.npy`` file per utterance.

The ``section*.py`` scripts next to this module import it; ``section5_async.py`` is a single
script that defines its own provider and runner (ESPnet3 users' usual layout).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from omegaconf import DictConfig, OmegaConf

import espnet3_prep
from espnet3_prep.features import build_feature

# --- the spec's section 1 and 2 imports ------------------------------------------------
from espnet3_prep.runner.base_runner import BaseRunner
from espnet3_prep.runner.inference_provider import InferenceProvider

MINI = Path(espnet3_prep.__file__).parent / "data" / "mini_librispeech" / "LibriSpeech"


def load_raw_samples(cfg: DictConfig) -> list[dict[str, Any]]:
    """Decode the FLAC files of a LibriSpeech split (``cfg.root``, default the embedded
    dev-clean-2), sorted by utterance id: ``utt_id``, ``audio``, ``sr``, ``text``."""
    root = Path(cfg.root) if cfg.get("root") else MINI / "dev-clean-2"
    texts: dict[str, str] = {}
    for trans in sorted(root.glob("*/*/*.trans.txt")):
        for line in trans.read_text(encoding="utf-8").splitlines():
            utt_id, _, text = line.partition(" ")
            texts[utt_id] = text
    samples = []
    for path in sorted(root.glob("*/*/*.flac"))[: cfg.get("limit")]:
        audio, sr = sf.read(path, dtype="float32")
        samples.append({"utt_id": path.stem, "audio": audio, "sr": sr,
                        "text": texts[path.stem]})
    return samples


def build_feature_pipeline(cfg: DictConfig) -> Any:
    """Our Kaldi-compatible feature extractor (``cfg.type``: fbank, mfcc)."""
    return build_feature(OmegaConf.to_container(cfg, resolve=True))


def save_features(utt_id: str, feats: np.ndarray, output_dir: str) -> None:
    """One ``<utt_id>.npy`` per utterance (written whole, then renamed into place)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{utt_id}.npy.tmp"
    with open(tmp, "wb") as handle:
        np.save(handle, feats)
    tmp.replace(out / f"{utt_id}.npy")


def apply_cli(cfg: DictConfig, argv: list[str] | None = None) -> DictConfig:
    """``parallel=NAME`` takes ``parallel/NAME.yaml``; other ``key=value`` arguments are
    OmegaConf dotlist overrides (e.g. ``dataset.limit=4``)."""
    rest = []
    for arg in sys.argv[1:] if argv is None else argv:
        if arg.startswith("parallel="):
            name = arg.split("=", 1)[1]
            cfg.parallel = OmegaConf.load(Path("parallel") / f"{name}.yaml")
        else:
            rest.append(arg)
    return OmegaConf.merge(cfg, OmegaConf.from_dotlist(rest))


def print_json(value: Any) -> None:
    """The result, as one JSON document on stdout (tuples become lists)."""
    print(json.dumps(value, sort_keys=True))


# --- spec section 1 -------------------------------------------------------------------
class PrepProvider(InferenceProvider):
    @staticmethod
    def build_dataset(cfg: DictConfig):
        # Load raw manifests and return a list/sequence of samples.
        return load_raw_samples(cfg.dataset)

    @staticmethod
    def build_model(cfg: DictConfig):
        # Optional: build reusable helpers (feature extractor, normaliser, …).
        return build_feature_pipeline(cfg.model)


# --- spec section 2 -------------------------------------------------------------------
class PrepRunner(BaseRunner):
    @staticmethod
    def forward(idx: int, *, dataset, model, cleaner=None, output_dir=None):
        sample = dataset[idx]
        feats = model.extract(sample["audio"], sr=sample["sr"])

        if cleaner is not None:
            sample = cleaner(sample)
            if sample is None:  # filtered out
                return None

        save_features(sample["utt_id"], feats, output_dir)
        return {
            "utt_id": sample["utt_id"],
            "features": feats.shape,
        }
