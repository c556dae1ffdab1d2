"""Every private API of a dependency that espnet3-prep relies on, checked against the
installed (pinned) version. An upgrade that changes one fails here, loudly and by name,
instead of as a confusing error in a run. Each use carries a comment pointing here."""

from __future__ import annotations

import asyncio
import inspect
import logging

import pytest

from espnet3_prep.backends.jobqueue import SubmissionErrors
from espnet3_prep.backends.options import submitit_option_names


def test_submitit_valid_parameters() -> None:
    """backends/options.py lists option names with ``Executor._valid_parameters()``."""
    from submitit import AutoExecutor
    from submitit.local.local import LocalExecutor
    from submitit.slurm.slurm import SlurmExecutor

    assert {"timeout_min", "mem_gb"} <= set(AutoExecutor._valid_parameters())
    assert "partition" in SlurmExecutor._valid_parameters()
    assert isinstance(LocalExecutor._valid_parameters(), set)
    names = submitit_option_names()
    assert {"slurm_partition", "timeout_min", "shards_per_job"} <= names


def test_submitit_submission_file_text(tmp_path: object) -> None:
    """backends/submitit.py ``describe()`` renders the sbatch script with
    ``SlurmExecutor._make_submission_file_text(_submitit_command_str, uid)``."""
    from submitit.slurm.slurm import SlurmExecutor

    signature = inspect.signature(SlurmExecutor._make_submission_file_text)
    assert list(signature.parameters)[1:3] == ["command", "uid"]
    assert isinstance(inspect.getattr_static(SlurmExecutor, "_submitit_command_str"), property)


def test_spec_cluster_created_jobs() -> None:
    """backends/dask.py marks jobs whose submission failed (``SpecCluster._created``,
    ``Status.created``) so that closing the cluster does not hang."""
    from distributed.core import Status
    from distributed.deploy.spec import SpecCluster

    assert "_created" in inspect.getsource(SpecCluster.__init__)
    assert Status.created and Status.failed


def test_jobqueue_submission_error_text_reaches_our_log_handler() -> None:
    """backends/jobqueue.py scrapes dask-jobqueue's failed-submission error from the log:
    the text dask-jobqueue raises must still be the one we look for."""
    from dask_jobqueue.core import Job

    source = inspect.getsource(Job._call)
    assert "Command exited with non-zero exit code" in source and "stderr:" in source
    handler = SubmissionErrors()
    handler.attach()
    try:
        with pytest.raises(RuntimeError) as info:
            asyncio.run(Job._call(["sh", "-c", "echo 'sbatch: error: bad queue' >&2; exit 1"]))
        logging.getLogger("tornado.application").error("boom", exc_info=(
            RuntimeError, info.value, None))
    finally:
        handler.detach()
    assert handler.messages == ["sbatch: error: bad queue"]


def test_jobqueue_job_attributes_used_for_detached_scripts() -> None:
    """backends/detached/schedulers.py renders scripts from a job's ``job_header``,
    ``shebang``, ``submit_command`` and ``job_id_regexp``."""
    from dask_jobqueue import SLURMCluster

    job = SLURMCluster.job_cls(scheduler="tcp://127.0.0.1:0", name="x", cores=1,
                               memory="1GB", log_directory=None)
    for name in ("job_header", "shebang", "submit_command", "job_id_regexp"):
        assert isinstance(getattr(job, name), str), name


def test_submitit_local_job_id_is_the_controller_pid() -> None:
    """backends/submitit.py stops a ``submitit_local`` job with SIGTERM to its job id, taken
    as the controller's pid (submitit's own ``cancel`` sends SIGINT: a traceback)."""
    from submitit.local.local import Controller, LocalExecutor, LocalJob

    assert "job_id=str(process.pid)" in inspect.getsource(LocalExecutor._submit_command)
    assert "signal.SIGTERM, self._forward_signal" in inspect.getsource(Controller.__init__)
    assert isinstance(inspect.getattr_static(LocalJob, "state"), property)
