"""The spec's sections 1, 2, 3 and 6, as written, with ``espnet3_prep`` for ``espnet3``.

The helpers the spec leaves to the user (``load_raw_samples``, ``build_feature_pipeline``,
``save_features``) are real: FLAC files written with soundfile, our Kaldi fbank, npy files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from omegaconf import DictConfig, OmegaConf

from espnet3_prep.features import build_feature

# the spec's imports (sections 1 and 2), with espnet3 -> espnet3_prep
from espnet3_prep.runner.base_runner import BaseRunner
from espnet3_prep.runner.inference_provider import InferenceProvider


def load_raw_samples(cfg: DictConfig) -> list[dict]:
    """Decode every FLAC listed in cfg.root into the sample dicts the spec's forward reads."""
    samples = []
    for path in sorted(Path(cfg.root).glob("*.flac")):
        audio, sr = sf.read(path, dtype="float32")
        text = path.with_suffix(".txt").read_text().strip()
        samples.append({"utt_id": path.stem, "audio": audio, "sr": sr, "text": text})
    return samples


def build_feature_pipeline(cfg: DictConfig):  # noqa: ANN201 - the spec's helper
    return build_feature(OmegaConf.to_container(cfg, resolve=True))


def save_features(utt_id: str, feats: np.ndarray, output_dir: str) -> None:
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    np.save(Path(output_dir) / f"{utt_id}.npy", feats)


def drop_empty_text(sample: dict) -> dict | None:
    """A cleaner in the spec's shape: returns None to filter a sample out."""
    text = " ".join(sample["text"].upper().split())
    return None if not text else {**sample, "text": text}


class PrepProvider(InferenceProvider):
    @staticmethod
    def build_dataset(cfg: DictConfig):
        # Load raw manifests and return a list/sequence of samples.
        return load_raw_samples(cfg.dataset)

    @staticmethod
    def build_model(cfg: DictConfig):
        # Optional: build reusable helpers (feature extractor, normaliser, …).
        return build_feature_pipeline(cfg.model)


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


@pytest.fixture()
def prep_yaml(tmp_path: Path) -> Path:
    audio_dir = tmp_path / "audio"
    audio_dir.mkdir()
    rng = np.random.default_rng(0)
    for i, seconds in enumerate([0.5, 1.0, 1.5, 0.7]):
        t = np.arange(int(16000 * seconds)) / 16000
        wave = 0.3 * np.sin(2 * np.pi * (200 + 50 * i) * t) + 0.01 * rng.standard_normal(t.size)
        sf.write(audio_dir / f"utt{i}.flac", wave.astype(np.float32), 16000)
        (audio_dir / f"utt{i}.txt").write_text("" if i == 2 else f"hello  world {i}")
    cfg = {"dataset": {"root": str(audio_dir)}, "model": {"type": "fbank", "num_mel_bins": 80}}
    path = tmp_path / "prep.yaml"
    OmegaConf.save(OmegaConf.create(cfg), path)
    return path


def test_section_3_local_run(prep_yaml: Path, tmp_path: Path) -> None:
    # --- spec section 3, as written -------------------------------------------------
    cfg = OmegaConf.load(prep_yaml)
    provider = PrepProvider(cfg, params={"output_dir": str(tmp_path / "exp" / "data")})
    runner = PrepRunner(provider)

    indices = list(range(len(provider.build_env_local()["dataset"])))
    results = runner(indices)  # returns a list of metadata dictionaries
    # ---------------------------------------------------------------------------------
    assert [r["utt_id"] for r in results] == ["utt0", "utt1", "utt2", "utt3"]
    assert [r["features"] for r in results] == [(48, 80), (98, 80), (148, 80), (68, 80)]
    saved = np.load(tmp_path / "exp" / "data" / "utt1.npy")
    assert saved.shape == (98, 80) and np.isfinite(saved).all()


class CountingProvider(PrepProvider):
    """The spec's provider, counting how often its dataset is built in this process."""

    builds = 0

    @staticmethod
    def build_dataset(cfg: DictConfig):
        CountingProvider.builds += 1
        return load_raw_samples(cfg.dataset)


def test_section_3_builds_the_dataset_once_per_process(prep_yaml: Path, tmp_path: Path) -> None:
    cfg = OmegaConf.load(prep_yaml)
    CountingProvider.builds = 0
    provider = CountingProvider(cfg, params={"output_dir": str(tmp_path / "exp" / "data")})
    runner = PrepRunner(provider)
    indices = list(range(len(provider.build_env_local()["dataset"])))
    assert len(runner(indices)) == 4
    assert len(PrepRunner(provider)(indices)) == 4  # another runner, same provider
    assert CountingProvider.builds == 1  # the env is cached for the process's lifetime
    assert provider.build_env_local() is provider.build_env_local()
    provider.build_env_local(rebuild=True)  # e.g. after the corpus changed on disk
    assert CountingProvider.builds == 2
    provider.reset_env()  # drop it (frees memory); the next use builds it again
    runner(indices)
    assert CountingProvider.builds == 3


def test_section_6_cleaning_in_the_same_pipeline(prep_yaml: Path, tmp_path: Path) -> None:
    cfg = OmegaConf.load(prep_yaml)
    provider = PrepProvider(
        cfg, params={"output_dir": str(tmp_path / "out"), "cleaner": drop_empty_text})
    runner = PrepRunner(provider)
    results = runner(range(4))
    assert [r["utt_id"] for r in results] == ["utt0", "utt1", "utt3"]  # utt2 has no text
    assert runner.last_outcome.counts["filtered"] == 1
    assert not (tmp_path / "out" / "utt2.npy").exists()


def test_section_4_same_runner_on_dask(prep_yaml: Path, tmp_path: Path) -> None:
    from espnet3_prep.parallel import close_parallel, set_parallel

    cfg = OmegaConf.load(prep_yaml)
    cfg.parallel = {"env": "local", "n_workers": 2}
    provider = PrepProvider(cfg, params={"output_dir": str(tmp_path / "dask")})
    runner = PrepRunner(provider, shard_size=1)
    set_parallel(cfg.parallel)
    try:
        results = runner(range(4))  # transparently runs on the cluster
    finally:
        close_parallel()
        set_parallel(None)
    assert [r["features"] for r in results] == [(48, 80), (98, 80), (148, 80), (68, 80)]
    assert sorted(p.name for p in (tmp_path / "dask").iterdir()) == [
        "utt0.npy", "utt1.npy", "utt2.npy", "utt3.npy"]
