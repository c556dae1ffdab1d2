"""``recipes/spec_examples``: the spec's sections 3-6 as scripts, run as a user runs them
(``python sectionN_*.py parallel=NAME`` in a copy of the folder), in-process, on a local
Dask cluster, on the real single-node SLURM and as detached jobs (async mode from a single
script). Every run writes the same results and byte-identical feature files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from espnet3_prep.storage.jsonl import read_jsonl
from tests.helpers import REPO, cli_env, wait_for

EXAMPLES = REPO / "recipes" / "spec_examples"
SLURM = pytest.mark.slurm


def run_script(folder: Path, script: str, *args: str) -> Any:
    """Run a copied example script in its folder; its stdout's JSON document."""
    proc = subprocess.run([sys.executable, script, *args], cwd=folder, capture_output=True,
                          text=True, timeout=600, check=False, env=cli_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def copy_examples(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("__pycache__", "exp"))
    return folder


def npy_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.npy"))}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Section 3 in-process: the results and feature files every other run must match."""
    folder = copy_examples(tmp_path_factory.mktemp("spec"), "section3")
    results = run_script(folder, "section3_local.py")
    assert len(results) == 12 and results[0] == {"features": [294, 80],
                                                 "utt_id": "4687-6310-0000"}
    return {"results": results, "npy": npy_bytes(folder / "exp" / "data")}


@pytest.mark.parametrize("parallel", ["none", "local", pytest.param("slurm", marks=SLURM)])
def test_section_4_and_6_on_every_backend(parallel: str, tmp_path: Path,
                                          reference: dict[str, Any]) -> None:
    folder = copy_examples(tmp_path, parallel)
    results = run_script(folder, "section4_dask.py", f"parallel={parallel}")
    assert results == reference["results"]
    assert npy_bytes(folder / "exp" / "data") == reference["npy"]
    cleaned = run_script(folder, "section6_cleaning.py", f"parallel={parallel}")
    long_enough = [r for r in reference["results"] if r["features"][0] >= 248]  # >= 2.5 s
    assert cleaned == long_enough and 0 < len(cleaned) < 12
    assert npy_bytes(folder / "exp" / "clean") == {
        f"{r['utt_id']}.npy": reference["npy"][f"{r['utt_id']}.npy"] for r in cleaned}


@pytest.mark.parametrize("parallel", ["local", pytest.param("slurm", marks=SLURM)])
def test_section_5_async_from_a_single_script(parallel: str, tmp_path: Path,
                                              reference: dict[str, Any]) -> None:
    folder = copy_examples(tmp_path, parallel)
    jobs = run_script(folder, "section5_async.py", f"parallel={parallel}")
    assert {job["state"] for job in jobs} == {"submitted"}
    spec = json.loads(Path(jobs[0]["spec"]).read_text())
    assert spec["runner"] == "section5_async.PrepRunner"  # defined in __main__
    assert spec["pythonpath"] == [str(folder)]
    shards = sorted(job["shard"] for job in jobs)
    done = [folder / "results" / "shards" / f"{s:05d}" / "DONE" for s in shards]
    wait_for(lambda: all(marker.exists() for marker in done), 240, "the detached jobs")
    rows = [row["result"] for marker in done for row in read_jsonl(
        marker.parent / "results.jsonl")]
    assert rows == reference["results"]
    assert npy_bytes(folder / "exp" / "async") == reference["npy"]


def test_a_script_that_submits_at_import_time_is_refused(tmp_path: Path) -> None:
    folder = copy_examples(tmp_path, "unguarded")
    script = (folder / "section5_async.py").read_text()
    unguarded = script.replace('if __name__ == "__main__":\n', "if True:\n")
    (folder / "unguarded.py").write_text(unguarded)
    proc = subprocess.run([sys.executable, "unguarded.py", "parallel=none"], cwd=folder,
                          capture_output=True, text=True, timeout=300, check=False,
                          env=cli_env())
    assert proc.returncode != 0
    assert 'under `if __name__ == "__main__":`' in proc.stderr, proc.stderr[-2000:]
    assert not (folder / "results" / "plan.json").exists()
