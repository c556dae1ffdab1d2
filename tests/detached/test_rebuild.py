"""Detached jobs rebuild every provider the driver accepted, or it is refused at submit
time (issue 21): constructor data as JSON (large data in one side file), the
to_spec/from_spec hooks, refusals naming the class, argument and ways out, and a job's
early failure shown first by status."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from espnet3_prep.driver.status import store_status
from espnet3_prep.errors import ConfigError, PlanMismatchError
from espnet3_prep.parallel import close_parallel, set_parallel
from espnet3_prep.prep.status import print_status
from espnet3_prep.storage.jsonl import read_jsonl
from tests.detached.jobs_cannot_import import NodeRunner
from tests.helpers import wait_for
from tests.toy import (
    BrokenProvider,
    ClipProvider,
    ClipRunner,
    HookProvider,
    ToyProvider,
    ToyRunner,
    Vocab,
)

SLURM_CFG = {"env": "slurm", "n_workers": 2, "options": {}}


@pytest.fixture(autouse=True)
def _reset() -> None:
    yield
    close_parallel()
    set_parallel(None)


def examples(n: int, width: int = 8) -> list[dict[str, Any]]:
    return [{"utt_id": f"c{i:05d}", "text": f"clip {i} " + "x" * width} for i in range(n)]


def detached_results(root: Path, n_shards: int, timeout: float = 120) -> list[Any]:
    shards = root / "shards"
    wait_for(lambda: all((shards / f"{i:05d}" / "DONE").exists() for i in range(n_shards))
             or store_status(root)["counts"]["failed"], timeout, "the detached jobs")
    report = store_status(root)
    assert report["counts"]["done"] == n_shards, [r["detail"] for r in report["shards"]]
    return [row["result"] for i in range(n_shards)
            for row in read_jsonl(shards / f"{i:05d}" / "results.jsonl")]


@pytest.mark.parametrize("parallel", [{"env": "local", "n_workers": 2},
                                      pytest.param(SLURM_CFG, marks=pytest.mark.slurm)])
def test_constructor_data_runs_detached_like_in_process(parallel: dict[str, Any],
                                                        tmp_path: Path) -> None:
    data = examples(12)
    expected = ClipRunner(ClipProvider({"n": 0}, data), progress=False)(range(12))
    set_parallel(parallel)
    runner = ClipRunner(ClipProvider({"n": 0}, examples=data), async_mode=True,
                        shard_size=6, async_result_dir=tmp_path / "r")
    meta = runner(range(12))
    spec = json.loads(Path(meta[0]["spec"]).read_text())
    assert spec["ctor_kwargs"] == {"examples": data} and spec["ctor_names"] == [
        "config", "examples"]
    assert detached_results(tmp_path / "r", 2, timeout=180) == expected


def test_large_constructor_data_goes_to_one_side_file(tmp_path: Path) -> None:
    data = examples(600, width=200)  # ~130 KB of JSON
    set_parallel({"env": "local", "n_workers": 2})
    runner = ClipRunner(ClipProvider({"n": 0}, data), async_mode=True, shard_size=200,
                        async_result_dir=tmp_path / "r")
    meta = runner(range(600))
    side = list((tmp_path / "r" / "jobs" / "specs").glob("provider-*.json"))
    assert len(side) == 1
    specs = [json.loads(Path(m["spec"]).read_text()) for m in meta]
    assert {s["ctor_file"] for s in specs} == {str(side[0])}
    assert all("ctor_kwargs" not in s for s in specs)
    assert max(Path(m["spec"]).stat().st_size for m in meta) < 16_000
    results = detached_results(tmp_path / "r", 3)
    assert [r["text"] for r in results] == [e["text"].upper() for e in data]


def test_non_json_constructor_data_is_refused_before_anything_is_submitted(
        tmp_path: Path) -> None:
    runner = ClipRunner(ClipProvider({"n": 0}, [{"utt_id": "a", "text": object()}]),
                        async_mode=True, async_result_dir=tmp_path / "r")
    with pytest.raises(ConfigError) as err:
        runner(range(1))
    message = str(err.value)
    assert "ClipProvider's constructor argument 'examples' is not JSON" in message
    assert "to_spec()" in message and "from_spec" in message and "async_mode=False" in message
    assert not list((tmp_path / "r").rglob("*.log"))
    assert not (tmp_path / "r" / "jobs" / "specs").exists() or not list(
        (tmp_path / "r" / "jobs" / "specs").iterdir())


def test_to_spec_and_from_spec_hooks_rebuild_non_json_data(tmp_path: Path) -> None:
    provider = HookProvider({"n": 0}, Vocab(["alpha", "beta", "gamma"]))
    runner = ClipRunner(provider, async_mode=True, shard_size=3,
                        async_result_dir=tmp_path / "r")
    meta = runner(range(3))
    assert json.loads(Path(meta[0]["spec"]).read_text())["provider_state"]["words"] == [
        "alpha", "beta", "gamma"]
    assert [r["text"] for r in detached_results(tmp_path / "r", 1)] == [
        "ALPHA", "BETA", "GAMMA"]


class HalfHookProvider(ClipProvider):
    """from_spec forgets the examples: every job would fail."""

    def to_spec(self) -> dict[str, Any]:
        return {"config": dict(self.config)}

    @classmethod
    def from_spec(cls, data: dict[str, Any]) -> HalfHookProvider:
        return cls(data["config"])  # type: ignore[call-arg]


def test_a_provider_that_cannot_be_rebuilt_is_refused_naming_the_argument(
        tmp_path: Path) -> None:
    runner = ClipRunner(HalfHookProvider({"n": 0}, examples(2)), async_mode=True,
                        async_result_dir=tmp_path / "r")
    with pytest.raises(ConfigError, match=r"HalfHookProvider cannot be rebuilt.*missing 1 "
                       r"required positional argument: 'examples'.*nothing was submitted"):
        runner(range(2))
    assert not list((tmp_path / "r").rglob("job-*.log"))


def test_a_job_that_fails_before_its_shard_shows_the_error_in_status(tmp_path: Path) -> None:
    runner = NodeRunner(ClipProvider({"n": 0}, examples(2)), async_mode=True,
                        async_result_dir=tmp_path / "r")
    runner(range(2))
    report = wait_for(lambda: (r := store_status(tmp_path / "r"))["counts"]["failed"] and r,
                      60, "the job to fail")
    detail = report["shards"][0]["detail"]
    assert detail.startswith("ImportError: cannot import class"), detail
    assert "libcuda.so.1: cannot open shared object file" in detail


def test_a_job_that_fails_building_its_env_shows_the_error_first_in_action_status(
        tmp_path: Path) -> None:
    set_parallel({"env": "local", "n_workers": 1})
    runner = ToyRunner(BrokenProvider({"n": 4, "root": "/nowhere"}), async_mode=True,
                       async_result_dir=tmp_path / "r")
    runner(range(4))
    report = wait_for(lambda: (r := store_status(tmp_path / "r"))["counts"]["failed"] and r,
                      60, "the job to fail")
    out = io.StringIO()
    print_status({"dev": report}, Console(file=out, width=200))
    lines = out.getvalue().splitlines()
    first = next(i for i, line in enumerate(lines) if "shard 00000 failed" in line)
    assert "FileNotFoundError: no corpus at /nowhere" in lines[first], lines[first]
    assert "last lines of" in lines[first + 1] and "job-" in lines[first + 1]


def test_changed_constructor_data_refuses_to_resume(tmp_path: Path) -> None:
    first = ClipRunner(ClipProvider({"n": 0}, examples(4)), work_dir=tmp_path / "w",
                       progress=False)
    assert len(first(range(4))) == 4
    same = ClipRunner(ClipProvider({"n": 0}, examples(4)), work_dir=tmp_path / "w",
                      progress=False)
    assert len(same(range(4))) == 4  # the same data resumes
    changed = examples(4)
    changed[2]["text"] = "another clip"
    with pytest.raises(PlanMismatchError):
        ClipRunner(ClipProvider({"n": 0}, changed), work_dir=tmp_path / "w",
                   progress=False)(range(4))
    hooks = [HookProvider({"n": 0}, Vocab(words)).fingerprint() for words in (["a"], ["b"])]
    assert hooks[0]["constructor"] != hooks[1]["constructor"]
    assert "constructor" not in ToyProvider({"n": 4}).fingerprint()  # config/params only
