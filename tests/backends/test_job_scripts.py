"""Golden job scripts: what ``action=plan`` prints for each dask-jobqueue scheduler.

Rendered from the real ``conf/parallel/<scheduler>.yaml`` with a real-cluster override set
(queue, account/project, memory, walltime, a GPU directive); nothing is submitted. The
scheduler address, the Python path and the output dir are normalized.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from espnet3_prep.backends import make_backend
from espnet3_prep.backends.options import normalize_parallel_config
from espnet3_prep.cli import config_dir
from espnet3_prep.prep.pipeline import parallel_config

GOLDEN = Path(__file__).parent / "golden"
REAL_CLUSTER = {
    "slurm": ["parallel.options.queue=gpu", "parallel.options.account=myproject",
              "parallel.options.memory=8GB", "parallel.options.walltime=04:00:00",
              'parallel.options.job_extra_directives=["--gres=gpu:1"]'],
    "pbs": ["parallel.options.queue=workq", "parallel.options.account=myproject",
            "parallel.options.memory=8GB", "parallel.options.walltime=04:00:00",
            'parallel.options.resource_spec="select=1:ncpus=1:mem=8GB:ngpus=1"'],
    "sge": ["parallel.options.queue=all.q", "parallel.options.project=myproject",
            "parallel.options.memory=8GB", "parallel.options.walltime=04:00:00",
            'parallel.options.resource_spec="h_vmem=8G,gpu=1"'],
    "lsf": ["parallel.options.queue=normal", "parallel.options.project=myproject",
            "parallel.options.memory=8GB", "parallel.options.walltime=04:00",
            'parallel.options.job_extra_directives=["-gpu num=1"]'],
    "htcondor": ["parallel.options.memory=8GB", "parallel.options.disk=20GB",
                 "parallel.options.job_extra_directives={request_gpus: 1}"],
}


def render(scheduler: str, out: Path) -> str:
    """The job script ``action=plan`` prints, normalized."""
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose("config", [f"output_dir={out}", f"parallel={scheduler}",
                                 *REAL_CLUSTER[scheduler]])
    backend = make_backend(normalize_parallel_config(parallel_config(cfg, out)))
    try:
        script = backend.describe()
    finally:
        backend.close()
    script = re.sub(r"(tcp|tls)://[0-9.]+:\d+", r"\1://SCHEDULER:PORT", script)
    script = re.sub(r"(worker\.[a-z_]+)\.[a-z0-9_]{8}\b", r"\1.RANDOM", script)  # temp certs
    return script.replace(sys.executable, "PYTHON").replace(str(out), "OUT")


@pytest.mark.parametrize("scheduler", sorted(REAL_CLUSTER))
def test_job_script_matches_golden(scheduler: str, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESPNET3_PREP_INTERFACE", "lo")
    script = render(scheduler, tmp_path / "exp")
    golden = GOLDEN / f"{scheduler}.txt"
    assert script == golden.read_text(), f"{scheduler} job script changed:\n{script}"
