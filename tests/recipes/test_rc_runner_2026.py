"""ESPnet3's 2026 runner form (issue 20), as ``recipes/spec_examples/runner_2026.py``
runs it: per-shard ``<field>.scp`` writers and ``merge``, byte-identical on every backend
(in-process, local Dask, SLURM, detached jobs), resumed after an interrupt, refused after
a changed plan; plus the hooks' contract on the API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from espnet3_prep.errors import ConfigError, PlanMismatchError
from espnet3_prep.runner.base_runner import BaseRunner, concatenate_shard_files
from tests.helpers import cli_env, wait_for
from tests.recipes.test_rc_spec_examples import copy_examples, run_script
from tests.toy import ToyProvider

MERGED = ("exp/stats/dev/shape.scp", "exp/stats/dev/text.scp")


def merged_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in MERGED}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = copy_examples(tmp_path_factory.mktemp("r2026"), "none")
    assert run_script(folder, "runner_2026.py", "parallel=none") == {
        "shape": MERGED[0], "text": MERGED[1]}
    files = merged_bytes(folder)
    assert files[MERGED[0]].startswith(b"4687-6310-0000 294,80\n")
    assert files[MERGED[0]].count(b"\n") == 12
    return files


@pytest.mark.parametrize("parallel", ["local", "submitit_local",
                                      pytest.param("slurm", marks=pytest.mark.slurm)])
def test_writers_and_merge_byte_identical_on_every_backend(
        parallel: str, tmp_path: Path, reference: dict[str, bytes]) -> None:
    folder = copy_examples(tmp_path, parallel)
    (folder / "parallel" / "submitit_local.yaml").write_text(
        "env: submitit_local\nn_workers: 2\noptions:\n  folder: exp/submitit\n")
    run_script(folder, "runner_2026.py", f"parallel={parallel}")
    assert merged_bytes(folder) == reference
    shard = folder / "exp" / "stats" / "dev" / "shards" / "00001"
    assert sorted(p.name for p in shard.iterdir()) == [
        "DONE", "results.jsonl", "shape.scp", "text.scp"]


def test_writers_run_in_detached_jobs_and_merge_after(tmp_path: Path,
                                                      reference: dict[str, bytes]) -> None:
    folder = copy_examples(tmp_path, "async")
    jobs = run_script(folder, "runner_2026.py", "parallel=local", "async_mode=true")
    shards = folder / "exp" / "stats" / "dev" / "shards"
    wait_for(lambda: all((shards / f"{j['shard']:05d}" / "DONE").exists() for j in jobs),
             120, "the detached jobs")
    run_script(folder, "runner_2026.py", "parallel=local", "merge_only=true")
    assert merged_bytes(folder) == reference


def test_resume_after_an_interrupt_and_refusal_of_a_changed_plan(
        tmp_path: Path, reference: dict[str, bytes]) -> None:
    folder = copy_examples(tmp_path, "resume")
    (folder / "dies.py").write_text(
        "import os, signal\nimport runner_2026\n"
        "forward = runner_2026.ShapeRunner.forward\n"
        "def dying(idx, **env):\n"
        "    if idx == 7:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return forward(idx, **env)\n"
        "runner_2026.ShapeRunner.forward = staticmethod(dying)\n"
        "if __name__ == '__main__':\n    runner_2026.main()\n")
    killed = subprocess.run([sys.executable, "dies.py", "parallel=none"], cwd=folder,
                            capture_output=True, text=True, timeout=300, env=cli_env())
    assert killed.returncode == -9
    shards = folder / "exp" / "stats" / "dev" / "shards"
    assert sorted(p.name for p in shards.iterdir() if (p / "DONE").exists()) == [
        "00000", "00001"]  # shard 2 (items 6-8) died: its writers' files are not there
    assert not (shards / "00002").exists()
    before = {p: (p / "DONE").stat().st_mtime_ns for p in shards.iterdir()
              if (p / "DONE").exists()}
    run_script(folder, "runner_2026.py", "parallel=none")
    assert merged_bytes(folder) == reference
    assert all((p / "DONE").stat().st_mtime_ns == t for p, t in before.items())
    changed = subprocess.run([sys.executable, "runner_2026.py", "parallel=none",
                              "dataset.limit=6"], cwd=folder, capture_output=True, text=True,
                             timeout=300, env=cli_env())
    assert changed.returncode != 0 and "PlanMismatchError" in changed.stderr
    assert merged_bytes(folder) == reference


class Records(BaseRunner):
    """Only merge overridden: the default write_record keeps results in state."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any) -> Any:
        return {"x": dataset[idx]["x"]}

    def merge(self, shard_dirs: list[Path]) -> Any:
        return [d.name for d in shard_dirs]


def test_merge_gets_shard_dirs_in_plan_order_and_defaults(tmp_path: Path) -> None:
    runner = Records(ToyProvider({"n": 10}), output_dir=tmp_path / "o", shard_subdir="s",
                     shard_size=3, progress=False)
    assert runner(range(10)) == ["00000", "00001", "00002", "00003"]
    assert (tmp_path / "o" / "s" / "plan.json").exists()
    with pytest.raises(PlanMismatchError):  # resume=True (the default) checks the plan
        Records(ToyProvider({"n": 7}), output_dir=tmp_path / "o", shard_subdir="s",
                shard_size=3, progress=False)(range(7))
    again = Records(ToyProvider({"n": 7}), output_dir=tmp_path / "o", shard_subdir="s",
                    shard_size=3, resume=False, progress=False)
    assert again(range(7)) == ["00000", "00001", "00002"]  # resume=False: planned afresh
    assert not (tmp_path / "o" / "s" / "shards" / "00003").exists()
    assert Records(ToyProvider({"n": 4}), progress=False)(range(4)) == []  # no output_dir
    with pytest.raises(ConfigError, match="output_dir= .* or work_dir=, not both"):
        Records(ToyProvider({"n": 4}), output_dir=tmp_path, work_dir=tmp_path)


def test_concatenate_shard_files_in_the_given_order(tmp_path: Path) -> None:
    dirs = [tmp_path / name for name in ("b", "a", "c")]
    for d in dirs[:2]:
        d.mkdir()
        (d / "x.scp").write_text(f"{d.name} 1\n")
    out = tmp_path / "out" / "x.scp"
    assert concatenate_shard_files(dirs, "x.scp", out) is True
    assert out.read_text() == "b 1\na 1\n"
    assert not list(out.parent.glob(".*tmp*"))
    assert concatenate_shard_files(dirs, "missing.scp", tmp_path / "none.scp") is False
    assert not (tmp_path / "none.scp").exists()
    assert json.dumps(str(out))  # a plain path
