"""Config mistakes fail before any job starts, naming what was looked for and what was found."""

from __future__ import annotations

from pathlib import Path

import pytest

from espnet3_prep.datasets import check_dataset_config, list_splits
from espnet3_prep.errors import ConfigError
from tests.corpora.corpora import ROOTS

OPTIONS = {"commonvoice": {"lang": "en"}, "mls": {"lang": "english"}, "aishell": {},
           "tedlium": {}, "ljspeech": {}}


def cfg(name: str, root: Path, **extra: object) -> dict:
    """A dataset config for corpus ``name``."""
    splits = ["all"] if name == "ljspeech" else ["train"]
    return {"type": name, "root": str(root), "splits": splits, **OPTIONS[name], **extra}


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_missing_split_lists_what_exists(name: str, synth: Path) -> None:
    check_dataset_config(cfg(name, synth / ROOTS[name]))
    with pytest.raises(ConfigError, match=r"split 'nosuch' not found: looked for /"
                                          r".* — found: [a-z]"):
        check_dataset_config(cfg(name, synth / ROOTS[name], splits=["nosuch"]))


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_wrong_root(name: str, synth: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"dataset\.root: .* does not exist — set "
                                          r"dataset\.root=/path/to/"):
        check_dataset_config(cfg(name, tmp_path / "nope"))
    wrong = synth / ROOTS["aishell" if name != "aishell" else "mls"]  # another corpus
    with pytest.raises(ConfigError, match=r"looked for .* found"):
        check_dataset_config(cfg(name, wrong))


def test_language_errors_list_languages(synth: Path) -> None:
    with pytest.raises(ConfigError, match=r"dataset\.lang: looked for .*/fr — found language "
                                          r"folders: en"):
        check_dataset_config(cfg("commonvoice", synth / ROOTS["commonvoice"], lang="fr"))
    with pytest.raises(ConfigError, match=r"looked for .*mls_german — found: mls_english"):
        check_dataset_config(cfg("mls", synth / ROOTS["mls"], lang="german"))


def test_option_values_and_tsv_columns(synth: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"dataset\.text: 'pinyin' is not one of chars, "
                                          r"words"):
        check_dataset_config(cfg("aishell", synth / ROOTS["aishell"], text="pinyin"))
    lang = tmp_path / "cv" / "en"
    lang.mkdir(parents=True)
    (lang / "train.tsv").write_text("client_id\tpath\tsentence\n")
    (lang / "broken.tsv").write_text("client_id\tpath\n")
    good = cfg("commonvoice", tmp_path / "cv")
    assert list_splits(good) == ["train"]
    with pytest.raises(ConfigError, match=r"split 'broken' not found: looked for .*broken\.tsv"
                                          r" — found: train"):
        check_dataset_config({**good, "splits": ["broken"]})


def test_hf_root_without_tables(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no dataset_dict\.json and no \*\.parquet under"):
        list_splits({"type": "hf", "root": str(tmp_path), "splits": None,
                     "audio_column": "audio", "text_column": "text"})
