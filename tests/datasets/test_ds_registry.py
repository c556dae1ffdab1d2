"""Registry, config validation, the pkg_data resolver and the shipped dataset YAMLs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from omegaconf import OmegaConf

import espnet3_prep.datasets as datasets
from espnet3_prep.datasets import (
    DATASET_TYPES,
    build_dataset,
    check_dataset_config,
    list_splits,
    package_data_path,
)
from espnet3_prep.errors import ConfigError

CONF = Path(__file__).resolve().parents[2] / "conf" / "dataset"


def test_registry_and_unknown_type() -> None:
    assert set(DATASET_TYPES) == {"librispeech", "manifest", "kaldi", "commonvoice", "tedlium",
                                  "aishell", "ljspeech", "mls", "hf"}
    with pytest.raises(ConfigError, match="unknown type 'timit' — valid: aishell, commonvoice, hf, "
                                          "kaldi, librispeech"):
        check_dataset_config({"type": "timit"})
    with pytest.raises(ConfigError, match=r"dataset\.spilts: unknown key .* valid keys: channel"):
        check_dataset_config({"type": "librispeech", "root": "/", "splits": ["x"], "spilts": 1})


def test_mandatory_root_from_yaml(libri_root: Path) -> None:
    cfg = OmegaConf.load(CONF / "librispeech.yaml")
    with pytest.raises(ConfigError, match=r"dataset\.root: mandatory value is not set — set "
                                          r"dataset\.root=/path/to/LibriSpeech"):
        check_dataset_config(cfg)
    cfg.root = str(libri_root)
    check_dataset_config(cfg)
    assert list_splits(cfg) == ["dev-clean"]
    assert len(build_dataset(cfg, "dev-clean")) == 3
    cfg.split, cfg.resample, cfg.channel = "dev-clean", False, None  # set by the pipeline
    check_dataset_config(cfg)
    with pytest.raises(ConfigError, match="mandatory"):
        check_dataset_config({"type": "librispeech", "root": "???", "splits": ["a"]})


def test_pkg_data_resolver() -> None:
    package_dir = Path(datasets.__file__).resolve().parents[1]
    expected = str(package_dir / "data" / "mini_librispeech" / "LibriSpeech")
    assert package_data_path("mini_librispeech/LibriSpeech") == expected
    cfg = OmegaConf.load(CONF / "mini_librispeech.yaml")
    assert cfg.root == expected and os.path.isabs(cfg.root)
    assert list_splits(cfg) == ["dev-clean-2", "train-clean-5"]
    with pytest.raises(ConfigError, match="without '..'"):
        package_data_path("../../etc")


@pytest.mark.skipif(
    not os.path.isdir(package_data_path("mini_librispeech/LibriSpeech/dev-clean-2")),
    reason="embedded mini LibriSpeech not generated yet",
)
def test_embedded_mini_librispeech_builds() -> None:
    cfg = OmegaConf.load(CONF / "mini_librispeech.yaml")
    check_dataset_config(cfg)
    ds = build_dataset(cfg, "dev-clean-2")
    assert len(ds) > 0 and all(os.path.isfile(item["audio"]) for item in ds)


@pytest.mark.parametrize("name", ["manifest", "kaldi"])
def test_other_yamls_need_a_path(name: str) -> None:
    cfg = OmegaConf.load(CONF / f"{name}.yaml")
    assert cfg.type == name
    with pytest.raises(ConfigError, match="give exactly one"):
        check_dataset_config(cfg)
