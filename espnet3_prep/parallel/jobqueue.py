"""dask-jobqueue helpers: job-script rendering and surfacing rejected submissions."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from typing import Any

from espnet3_prep.parallel.cluster import build_cluster

_CAPTURED: list[str] = []


class _SubmissionErrors(logging.Handler):
    """Keeps the last error messages dask-jobqueue/distributed log while starting jobs."""

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text = f"{text} {record.exc_info[1]}"
        if "exit code" in text or "sbatch" in text or "qsub" in text or "bsub" in text:
            _CAPTURED.append(text.strip())
            del _CAPTURED[:-5]


_HANDLER = _SubmissionErrors(level=logging.ERROR)
for _name in ("distributed.deploy.spec", "dask_jobqueue.core", "distributed.deploy.adaptive"):
    logging.getLogger(_name).addHandler(_HANDLER)


def submission_error(cluster: Any) -> str | None:
    """The scheduler's own message for a rejected submission, if one was seen."""
    if _CAPTURED:
        return _CAPTURED[-1]
    return test_submit(cluster.job_script()) if shutil.which("sbatch") else None


def test_submit(script: str) -> str | None:
    """``sbatch --test-only`` the script: the scheduler's verdict without queueing a job."""
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=True) as handle:
        handle.write(script)
        handle.flush()
        proc = subprocess.run(["sbatch", "--test-only", handle.name], capture_output=True,
                              text=True, timeout=30, check=False)
    if proc.returncode != 0:
        return (proc.stderr or proc.stdout).strip() or f"sbatch exited {proc.returncode}"
    return None


def render_job_script(config: dict[str, Any]) -> str:
    """The job script that would be submitted for this config (starts no job)."""
    cluster = build_cluster(config)
    try:
        return cluster.job_script()
    finally:
        cluster.close()
