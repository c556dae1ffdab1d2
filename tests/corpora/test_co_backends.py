"""Each corpus on a backend other than in-process writes the same bytes as in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.corpora.corpora import KEEP_CASE, corpus_args
from tests.helpers import output_bytes, run_cli

BACKENDS = [
    pytest.param("commonvoice", ("parallel=slurm", "parallel.worker_timeout_s=60"),
                 marks=pytest.mark.slurm),
    pytest.param("tedlium", ("parallel=submitit_slurm", "parallel.worker_timeout_s=60"),
                 marks=pytest.mark.slurm),
    pytest.param("aishell", ("parallel=local",)),
    pytest.param("ljspeech", ("parallel=submitit_local",)),
    pytest.param("mls", ("parallel=local",)),
]


@pytest.mark.parametrize(("name", "backend"), BACKENDS)
def test_backend_byte_identical(name: str, backend: tuple[str, ...], synth: Path,
                                prepared: Callable[[str], Path], tmp_path: Path) -> None:
    out = tmp_path / "exp"
    proc = run_cli(*corpus_args(synth, name), f"output_dir={out}", KEEP_CASE,
                   "runner.shard_size=3", "runner.progress=false", "parallel.n_workers=1",
                   *backend)
    assert proc.returncode == 0, proc.stderr
    ours, reference = output_bytes(out), output_bytes(prepared(name))
    assert ours and ours == reference
