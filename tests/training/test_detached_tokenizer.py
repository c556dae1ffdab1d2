"""Detached jobs: the tokenizer step runs at ``action=collect``, after the splits merge."""

from __future__ import annotations

from pathlib import Path

from espnet3_prep.tokenizers import train_tokenizer
from tests.helpers import run_cli, wait_for
from tests.training.conftest import TRAIN

ARGS = ("output_dir=exp", "feature=none", "tokenizer=word", "parallel=local",
        "parallel.n_workers=2", "runner.async_mode=true")


def test_collect_trains_the_tokenizer(tmp_path: Path) -> None:
    submit = run_cli(*ARGS, cwd=tmp_path)
    assert submit.returncode == 0, submit.stderr
    assert not (tmp_path / "exp" / "token_list").exists()  # nothing collected yet

    def done() -> bool:
        status = run_cli(*ARGS, "action=status", cwd=tmp_path)
        return "every shard is done" in status.stdout

    wait_for(done, 120, "all shards done")
    collect = run_cli(*ARGS, "action=collect", cwd=tmp_path)
    assert collect.returncode == 0, collect.stderr
    tokens = (tmp_path / "exp" / "token_list" / "word" / "tokens.txt").read_text()
    text = (tmp_path / "exp" / TRAIN / "text").read_text().splitlines()
    expected = train_tokenizer({"type": "word"}, [" ".join(t.split()[1:]) for t in text])
    assert tokens.splitlines() == expected.tokens
