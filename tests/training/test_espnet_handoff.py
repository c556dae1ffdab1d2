"""The handoff, tested with the real consumer: ESPnet2's ``ESPnetDataset`` (package
``espnet``, installed by ``make install``) loads a prepared split as ESPnet2's training does —
speech from ``wav.scp``, features from ``feats.scp``, text through ``CommonPreprocessor``
with our ``tokens.txt`` and ``bpe.model`` — in a fresh interpreter with a plain
``import torchaudio`` underneath (espnet2.train.preprocessor imports it)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.training.conftest import BPE_DIR, DEV, TRAIN

CONSUMER = """
import json, sys
import numpy as np
from espnet2.text.build_tokenizer import build_tokenizer
from espnet2.text.token_id_converter import TokenIDConverter
from espnet2.train.dataset import ESPnetDataset
from espnet2.train.preprocessor import CommonPreprocessor

token_dir, splits = sys.argv[1], sys.argv[2:]
tokens, model = f"{token_dir}/tokens.txt", f"{token_dir}/bpe.model"
pre = CommonPreprocessor(train=False, token_type="bpe", token_list=tokens, bpemodel=model)
converter = TokenIDConverter(tokens)
tokenizer = build_tokenizer("bpe", model)
out = {split: {} for split in splits}
for split in splits:
  data = ESPnetDataset([(f"{split}/wav.scp", "speech", "sound"),
                        (f"{split}/feats.scp", "feats", "kaldi_ark"),
                        (f"{split}/text", "text", "text")], preprocess=pre)
  uids = [line.split(maxsplit=1)[0] for line in open(f"{split}/text", encoding="utf-8")]
  for uid in uids:
    _, item = data[uid]
    ids = item["text"]
    out[split][uid] = {"ids_int": bool(np.issubdtype(ids.dtype, np.integer)), "n_ids": len(ids),
                "unk": int((ids == converter.token2id["<unk>"]).sum()),
                "decoded": tokenizer.tokens2text(converter.ids2tokens(ids)),
                "speech": list(item["speech"].shape), "feats": list(item["feats"].shape)}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def consumed(prepared: Path) -> dict:
    """What ESPnet2 loads from both splits (one interpreter: espnet2's imports are slow)."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(CONSUMER),
                           str(prepared / BPE_DIR), TRAIN, DEV], capture_output=True,
                          text=True, timeout=600, check=False, cwd=prepared)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("split", [TRAIN, DEV])
def test_espnet_dataset_gives_token_ids_that_decode_to_the_text(
        prepared: Path, consumed: dict, split: str) -> None:
    split_dir = prepared / split
    result = consumed[split]
    manifest = [json.loads(line) for line in (split_dir / "manifest.jsonl").open()]
    assert sorted(result) == sorted(row["utt_id"] for row in manifest)  # every kept utt
    for row in manifest:
        got = result[row["utt_id"]]
        assert got["ids_int"] and got["n_ids"] > 0
        assert got["feats"] == [row["num_frames"], row["feat_dim"]]
        assert got["speech"] == [row["num_samples"]]
        if split == TRAIN:  # trained on this text: every piece is in the list
            assert got["unk"] == 0 and got["decoded"] == row["text"]
        elif got["unk"] == 0:  # dev may hold characters the training text lacks
            assert got["decoded"] == row["text"]
