"""Dask's INFO chatter goes to the run's log file, not to the user's terminal."""

from __future__ import annotations

import logging
from pathlib import Path

from espnet3_prep.prep.logfilter import DaskChatter
from tests.helpers import run_cli


def test_local_run_keeps_dask_info_in_the_log_file_only(tmp_path: Path) -> None:
    proc = run_cli(f"output_dir={tmp_path}", "parallel=local", "parallel.n_workers=2",
                   "feature=none", "dataset.splits=[dev-clean-2]")
    assert proc.returncode == 0, proc.stderr
    assert "[distributed." not in proc.stderr, proc.stderr
    assert "dev-clean-2: 12 kept" in proc.stderr  # our own INFO lines still show
    (log,) = tmp_path.glob("hydra/*/*.log")
    assert "[distributed.scheduler][INFO]" in log.read_text(encoding="utf-8")


def test_dask_warnings_still_reach_the_terminal() -> None:
    def record(name: str, level: int) -> logging.LogRecord:
        return logging.LogRecord(name, level, __file__, 1, "msg", None, None)

    chatter = DaskChatter()
    assert not chatter.filter(record("distributed.scheduler", logging.INFO))
    assert not chatter.filter(record("dask_jobqueue.core", logging.DEBUG))
    assert chatter.filter(record("distributed.core", logging.WARNING))
    assert chatter.filter(record("distributedish", logging.INFO))
    assert chatter.filter(record("espnet3_prep.progress", logging.INFO))
