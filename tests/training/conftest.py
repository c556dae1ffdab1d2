"""One real preparation of the embedded corpus for the training-handoff tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli

TRAIN, DEV = "train-clean-5", "dev-clean-2"
BPE_DIR = "token_list/bpe_unigram60"
PREP_ARGS = ("tokenizer=bpe", "tokenizer.vocab_size=60", "dataset.speaker=reader_chapter",
             "export=[lhotse,hf,hf_dataset]")


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``espnet3-prep`` with :data:`PREP_ARGS` (bpe tokenizer, chapter speakers, every
    export) on the embedded corpus."""
    out = tmp_path_factory.mktemp("training") / "exp"
    proc = run_cli(f"output_dir={out}", *PREP_ARGS)
    assert proc.returncode == 0, proc.stderr
    return out
