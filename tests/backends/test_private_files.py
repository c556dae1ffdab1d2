"""Files that jobs execute are private whatever the umask, jobs refuse specs and folders
another user could have written (before importing or unpickling anything), and output data
keeps the user's umask."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from espnet3_prep import set_parallel
from espnet3_prep.backends.dask_cluster import jobqueue_kwargs
from espnet3_prep.parallel import close_parallel
from espnet3_prep.storage.lock import OutputLock
from espnet3_prep.storage.private import folder_check_line
from tests.helpers import CLI, SHARD_SIZE, cli_env, run_cli, wait_for
from tests.matrix import record
from tests.toy import ToyProvider, ToyRunner, expected


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_002() -> Iterator[None]:
    old = os.umask(0o002)  # a typical shared-group umask: new files 0664, dirs 0775
    try:
        yield
    finally:
        os.umask(old)


def _worker(*specs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "espnet3_prep.worker", *map(str, specs)],
                          capture_output=True, text=True, timeout=120, env=cli_env(),
                          check=False)


def test_detached_job_files_are_private_and_exposed_specs_are_refused(tmp_path: Path) -> None:
    submit = [CLI, "output_dir=exp", SHARD_SIZE, "parallel=local", "parallel.n_workers=1",
              "runner.async_mode=true", "dataset.splits=[dev-clean-2]"]
    proc = subprocess.run(["bash", "-c", 'umask 002 && exec "$@"', "-", *submit],
                          cwd=tmp_path, env=cli_env(), capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    split = tmp_path / "exp" / "dev-clean-2"
    jobs, specs = split / "jobs", split / "jobs" / "specs"
    assert _mode(jobs) == 0o700 and _mode(specs) == 0o700
    assert all(_mode(p) == 0o600 for p in specs.glob("*.json"))
    wait_for(lambda: "every shard is done" in run_cli(
        "output_dir=exp", "action=status", cwd=tmp_path).stdout, 120, "detached jobs done")
    results = sorted(split.glob("shards/*/results.jsonl"))
    assert results and all(_mode(p) == 0o664 for p in results)  # data keeps the umask

    spec = specs / "00000.json"
    hostile = json.loads(spec.read_text())
    hostile["runner"] = hostile["provider"] = "tests.no_such_module.Injected"
    spec.write_text(json.dumps(hostile))
    spec.chmod(0o664)
    (jobs / "state").mkdir(exist_ok=True)
    before = sorted((jobs / "state").iterdir())
    refused = _worker(spec)
    assert refused.returncode == 2, refused.stderr
    assert f"refusing to run: {spec} is writable by its group (mode 0664)" in refused.stderr
    assert "no_such_module" not in refused.stderr  # refused before any import was tried
    assert sorted((jobs / "state").iterdir()) == before
    spec.chmod(0o600)
    specs.chmod(0o777)
    refused = _worker(spec)
    assert refused.returncode == 2 and "writable by its group and others" in refused.stderr
    record("another user edits a job spec or folder", "job refuses it (exit 2), says why",
           "nothing imported, output data keeps the umask")


def test_submitit_folder_check_refuses_an_exposed_folder(tmp_path: Path) -> None:
    folder = tmp_path / "submitit"
    folder.mkdir(mode=0o700)
    line = folder_check_line(folder)
    ok = subprocess.run(["bash", "-c", line], capture_output=True, text=True, env=cli_env(),
                        timeout=60, check=False)
    assert ok.returncode == 0, ok.stderr
    folder.chmod(0o770)
    bad = subprocess.run(["bash", "-c", line + "; echo unpickled"], capture_output=True,
                         text=True, env=cli_env(), timeout=60, check=False)
    assert bad.returncode == 1 and "unpickled" not in bad.stdout
    assert "writable by its group" in bad.stderr and "chmod -R go-w" in bad.stderr


def test_job_log_folder_and_lock_are_private_whatever_the_umask(tmp_path: Path,
                                                                umask_002: None) -> None:
    kwargs = jobqueue_kwargs("slurm", {"log_directory": str(tmp_path / "logs")}, "e3p")
    assert _mode(Path(kwargs["log_directory"])) == 0o700
    os.umask(0)
    with OutputLock(tmp_path / "out") as lock:
        assert _mode(lock.path) == 0o600


def test_submitit_folder_is_private_whatever_the_umask(tmp_path: Path, umask_002: None
                                                       ) -> None:
    folder = tmp_path / "jobs"
    set_parallel({"env": "submitit_local", "n_workers": 1, "options": {"folder": str(folder)}})
    try:
        out = ToyRunner(ToyProvider({"n": 4}), shard_size=4, progress=False)(range(4))
    finally:
        close_parallel()
        set_parallel(None)
    assert [r["y"] for r in out] == expected(4)
    assert _mode(folder) == 0o700
    assert list(folder.glob("*_log.out"))  # the jobs ran from it (their pickles: removed)


@pytest.mark.slurm
def test_submitit_slurm_jobs_check_their_folder_before_unpickling(tmp_path: Path) -> None:
    proc = run_cli(f"output_dir={tmp_path / 'exp'}", "action=plan", "parallel=submitit_slurm")
    assert proc.returncode == 0, proc.stderr
    script = proc.stdout[proc.stdout.index("#!/bin/bash"):]
    check = f"espnet3_prep.storage.private import main; sys.exit(main())' {tmp_path / 'exp'}"
    assert check in script and script.index(check) < script.index("submitit.core._submit")
