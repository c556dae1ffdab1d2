"""dask-jobqueue helpers: job-script rendering and surfacing rejected submissions early."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from typing import Any

from espnet3_prep.backends.dask_cluster import build_cluster
from espnet3_prep.errors import ConfigError

# Log scraping (dask-jobqueue reports a failed submission only through its error text):
# tests/backends/test_private_apis.py checks the text and loggers still match.
# Where a failed ``sbatch``/``qsub``/``bsub`` surfaces: dask-jobqueue raises it inside the
# adaptive scaling task, and tornado/asyncio log it as an unhandled callback exception.
_SUBMIT_LOGGERS = ("tornado.application", "asyncio", "distributed.deploy.spec",
                   "distributed.deploy.adaptive", "dask_jobqueue.core")
_SUBMIT_FAILURE = "Command exited with non-zero exit code"


class SubmissionErrors(logging.Handler):
    """Collects the scheduler's messages for job submissions dask-jobqueue saw fail."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the submit command's stderr (or the whole error) of a failed submission."""
        error = record.exc_info[1] if record.exc_info else None
        text = str(error) if error is not None else record.getMessage()
        if _SUBMIT_FAILURE in text:
            self.messages.append(_command_output(text))
            del self.messages[:-5]

    def attach(self) -> None:
        """Start listening to the loggers a failed submission is reported on."""
        for name in _SUBMIT_LOGGERS:
            logging.getLogger(name).addHandler(self)

    def detach(self) -> None:
        """Stop listening (idempotent)."""
        for name in _SUBMIT_LOGGERS:
            logging.getLogger(name).removeHandler(self)


def _command_output(text: str) -> str:
    """The submit command's stderr and stdout from dask-jobqueue's error text."""
    _, _, output = text.partition("stdout:")
    stdout, _, stderr = output.partition("stderr:")
    return "\n".join(p.strip() for p in (stderr, stdout) if p.strip()) or text.strip()


def precheck_submission(env: str, cluster: Any) -> None:
    """Ask SLURM whether it would accept the job script, before submitting anything.

    ``sbatch --test-only`` rejects a bad partition, account or an impossible memory/time
    request in milliseconds; other schedulers have no equivalent and are checked by
    :class:`SubmissionErrors` while the first jobs are submitted.
    """
    if env != "slurm" or shutil.which("sbatch") is None:
        return
    message = test_submit(cluster.job_script())
    if message:
        raise ConfigError(
            f"parallel.env=slurm: sbatch rejects the worker job: {message}\nFix "
            "parallel.options (queue, account, memory, walltime, job_extra_directives) "
            "and rerun; `action=plan` prints the job script.")


def test_submit(script: str) -> str | None:
    """``sbatch --test-only`` the script: the scheduler's verdict without queueing a job."""
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=True) as handle:
        handle.write(script)
        handle.flush()
        try:
            proc = subprocess.run(["sbatch", "--test-only", handle.name], capture_output=True,
                                  text=True, timeout=30, check=False)
        except subprocess.TimeoutExpired:
            return "sbatch --test-only did not answer within 30 s (is slurmctld up?)"
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
