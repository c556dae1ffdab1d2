"""``make -C recipes/librispeech all``: data dirs with ESPnet2's chapter speakers, then the
token list where ESPnet2 keeps it (``data/token_list/bpe_unigram<N>``)."""

from __future__ import annotations

from pathlib import Path

import sentencepiece as spm

from tests.recipes.test_rc_recipes import fake_librispeech, make


def test_librispeech_make_all_prepares_and_trains_the_tokenizer(tmp_path: Path,
                                                                 mini_root: Path) -> None:
    corpus = fake_librispeech(tmp_path / "LibriSpeech", mini_root)
    data = tmp_path / "data"
    proc = make("librispeech", "all", f"LIBRISPEECH={corpus}", "PARALLEL=none",
                "CONFIGS=train_960", "NBPE=60", f"EXP={tmp_path / 'exp'}", f"DATA={data}")
    assert proc.returncode == 0, proc.stderr
    token_dir = data / "token_list" / "bpe_unigram60"
    tokens = (token_dir / "tokens.txt").read_text().splitlines()
    assert tokens[:2] == ["<blank>", "<unk>"] and tokens[-1] == "<sos/eos>"
    assert len(tokens) == 60
    model = spm.SentencePieceProcessor(model_file=str(token_dir / "bpe.model"))
    texts = [line.split(maxsplit=1)[1] for line in
             (data / "train_960" / "text").read_text().splitlines()]
    assert len(texts) == 40
    for text in texts:  # trained on train_960's text: every piece is in the token list
        pieces = model.encode_as_pieces(text)
        assert set(pieces) <= set(tokens) and model.decode_pieces(pieces) == text
    speakers = {line.split()[1] for line in (data / "train_960" / "utt2spk").open()}
    assert "9942-119827" in speakers and all(s.count("-") == 1 for s in speakers)
