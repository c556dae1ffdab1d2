"""ESPnet3's 2026 runner form composes with shard bundles (issue 20 with issue 12):
many shards per Dask task or per submitit job (local and SLURM array), each shard's
writers opened in its own temp folder, committed with its own done marker, merged in
plan order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from espnet3_prep.backends.bundles import TASKS_PER_WORKER
from espnet3_prep.errors import ConfigError
from espnet3_prep.parallel import close_parallel, set_parallel
from tests.toy import ScpRunner, ToyProvider

N_SHARDS = TASKS_PER_WORKER + 9  # more shards than one worker's tasks: bundles of 1-2


def run(out: Path, parallel: dict[str, Any] | None) -> str:
    set_parallel(parallel)
    try:
        return ScpRunner(ToyProvider({"n": 2 * N_SHARDS}), output_dir=out, shard_size=2,
                         progress=False)(range(2 * N_SHARDS))
    finally:
        close_parallel()
        set_parallel(None)


@pytest.mark.parametrize("kind", ["dask", "submitit",
                                  pytest.param("submitit_slurm", marks=pytest.mark.slurm)])
def test_writer_hooks_in_bundled_tasks_match_in_process(kind: str, tmp_path: Path) -> None:
    reference = run(tmp_path / "ref", None)
    assert reference.splitlines()[:3] == ["u0000 0 0", "u0001 2 0", "u0002 4 1"]
    parallel = ({"env": "local", "n_workers": 1} if kind == "dask" else
                {"env": "submitit_local" if kind == "submitit" else kind, "n_workers": 1,
                 "options": {"folder": str(tmp_path / "logs"), "shards_per_job": 5}})
    assert run(tmp_path / kind, parallel) == reference
    shards = sorted((tmp_path / kind / "shards").iterdir())
    assert len(shards) == N_SHARDS
    for shard in shards:
        assert sorted(p.name for p in shard.iterdir()) == ["DONE", "results.jsonl", "x.scp"]
        first = int(shard.name) * 2
        assert (shard / "x.scp").read_text().startswith(f"u{first:04d} {2 * first} ")
    if kind == "submitit":  # 25 shards in 5 jobs of 5 shards each
        assert len(list((tmp_path / "logs").glob("*_log.out"))) == 5
    if kind == "submitit_slurm":  # the same, as 5 tasks of a SLURM array
        assert len(list((tmp_path / "logs").rglob("*_log.out"))) == 5


def test_open_writers_without_an_output_dir_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"ScpRunner defines open_writers.*output_dir="):
        ScpRunner(ToyProvider({"n": 2}), progress=False)(range(2))
