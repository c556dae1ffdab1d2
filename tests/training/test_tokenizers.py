"""Tokenizers: ESPnet's token-list layout and order, determinism, config errors before
any shard runs, the resumable step with its DONE marker, and ``action=plan``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sentencepiece as spm

from espnet3_prep.errors import ConfigError
from espnet3_prep.tokenizers import check_tokenizer, token_list_name, train_tokenizer
from tests.helpers import run_cli
from tests.training.conftest import BPE_DIR, DEV, PREP_ARGS, TRAIN

LINES = ["A CAT SAT", "A DOG", "THE CAT <noise> RAN"] * 20


def test_char_tokens_follow_espnet_frequency_order() -> None:
    tokens = train_tokenizer({"type": "char", "non_linguistic_symbols": ["<noise>"]},
                             ["ABB B", "C<noise>"]).tokens
    # B: 3, then A, <space>, C, <noise> once each: ties in order of first appearance
    assert tokens == ["<blank>", "<unk>", "B", "A", "<space>", "C", "<noise>", "<sos/eos>"]
    capped = train_tokenizer({"type": "char", "vocab_size": 5}, ["ABB B"]).tokens
    assert capped == ["<blank>", "<unk>", "B", "A", "<sos/eos>"]


def test_word_tokens() -> None:
    tokens = train_tokenizer({"type": "word"}, LINES).tokens
    assert tokens[:4] == ["<blank>", "<unk>", "A", "CAT"] and tokens[-1] == "<sos/eos>"
    assert set(tokens) == {"<blank>", "<unk>", "<sos/eos>", "A", "CAT", "SAT", "DOG", "THE",
                           "<noise>", "RAN"}


def test_bpe_is_deterministic_and_round_trips() -> None:
    cfg = {"type": "bpe", "vocab_size": 30, "model_type": "bpe",
           "non_linguistic_symbols": ["<noise>"]}
    first, second = train_tokenizer(cfg, LINES), train_tokenizer(cfg, LINES)
    assert first.model == second.model and first.tokens == second.tokens
    assert first.tokens[:3] == ["<blank>", "<unk>", "<noise>"]  # user symbols come first
    assert first.tokens[-1] == "<sos/eos>" and "<s>" not in first.tokens
    assert len(first.tokens) == 30  # sentencepiece's 3 specials swapped for ESPnet's 3
    sp = spm.SentencePieceProcessor(model_proto=first.model)
    for line in LINES[:3]:
        pieces = sp.encode_as_pieces(line)
        assert all(p in first.tokens for p in pieces)
        assert sp.decode_pieces(pieces) == line
    assert token_list_name(cfg) == "bpe_bpe30"


@pytest.mark.parametrize(("cfg", "key"), [
    ({"type": "bpe", "model_type": "char"}, "tokenizer.model_type"),
    ({"type": "bpe", "character_coverage": 0.5}, "tokenizer.character_coverage"),
    ({"type": "bpe", "vocab_size": "big"}, "tokenizer.vocab_size"),
    ({"type": "bpe", "user_defined_symbols": ["a b"]}, "tokenizer.user_defined_symbols"),
    ({"type": "char", "vocab": 3}, "unknown key(s) vocab"),
    ({"type": "sentencepiece"}, "tokenizer.type"),
])
def test_bad_options_name_the_key(cfg: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace("(", r"\(").replace(")", r"\)")):
        check_tokenizer(cfg)


def test_vocab_too_large_fails_before_any_shard(tmp_path: Path) -> None:
    proc = run_cli(f"output_dir={tmp_path}", "tokenizer=bpe", "tokenizer.vocab_size=5000",
                   "feature=none")
    assert proc.returncode == 2, proc.stderr
    assert "tokenizer.vocab_size=5000 is larger than the training text allows" in proc.stderr
    assert not (tmp_path / TRAIN).exists() and not (tmp_path / DEV).exists()
    bad_split = run_cli(f"output_dir={tmp_path}", "tokenizer=char",
                        "tokenizer.train_splits=[train-other-500]", "feature=none")
    assert bad_split.returncode == 2 and "tokenizer.train_splits" in bad_split.stderr
    assert not (tmp_path / TRAIN).exists()


def test_step_output_done_marker_and_rerun(prepared: Path, tmp_path: Path) -> None:
    target = prepared / BPE_DIR
    done = json.loads((target / "DONE").read_text())
    assert done["train_text"] == [str(prepared / TRAIN / "text")]  # train* splits only
    tokens = (target / "tokens.txt").read_text().splitlines()
    assert tokens[:2] == ["<blank>", "<unk>"] and tokens[-1] == "<sos/eos>"
    assert len(tokens) == done["tokens"] == 60
    before = {n: (target / n).read_bytes() for n in ("bpe.model", "tokens.txt")}
    mtimes = {n: (target / n).stat().st_mtime_ns for n in before}
    again = run_cli(f"output_dir={prepared}", *PREP_ARGS)
    assert again.returncode == 0, again.stderr
    assert "is up to date" in again.stderr
    assert {n: (target / n).stat().st_mtime_ns for n in before} == mtimes
    (target / "DONE").unlink()  # an interrupted step: retrained, byte-identical
    third = run_cli(f"output_dir={prepared}", *PREP_ARGS)
    assert third.returncode == 0, third.stderr
    assert {n: (target / n).read_bytes() for n in before} == before
    assert (target / "DONE").exists()


def test_plan_shows_the_step(tmp_path: Path) -> None:
    proc = run_cli(f"output_dir={tmp_path}", "action=plan", "tokenizer=char",
                   "feature=none")
    assert proc.returncode == 0, proc.stderr
    assert f"tokenizer: char trained on the text of {TRAIN} -> " \
           f"{tmp_path / 'token_list' / 'char'} (tokens.txt)" in proc.stdout
    assert not (tmp_path / "token_list").exists()
