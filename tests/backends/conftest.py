"""A reference ``parallel=none`` run that every backend's output must match byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.prep.helpers import run_cli

SHARD_SIZE = "runner.shard_size=5"


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded corpus prepared in-process with 5 items per shard."""
    out = tmp_path_factory.mktemp("reference") / "exp"
    proc = run_cli(f"output_dir={out}", SHARD_SIZE, "parallel=none")
    assert proc.returncode == 0, proc.stderr
    return out
