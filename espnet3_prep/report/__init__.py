"""The run report: ``<output_dir>/report.html`` and a detailed terminal summary.

:func:`finish_report` is called at the end of ``action=run``; :func:`write_report` can be
called on any finished output dir (it reads each ``<split>/stats.json``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from espnet3_prep.report.data import SplitData, read_run
from espnet3_prep.report.terminal import print_details
from espnet3_prep.storage.files import atomic_write_text

log = logging.getLogger(__name__)
REPORT = "report.html"

__all__ = ["REPORT", "SplitData", "finish_report", "read_run", "write_report"]


def write_report(output_dir: Path, stats: dict[str, dict[str, Any]] | None = None,
                 splits: list[SplitData] | None = None) -> Path:
    """Write ``report.html`` atomically; returns its path."""
    from espnet3_prep.report.html import render  # lazy: matplotlib takes ~0.7 s to import
    output_dir = Path(output_dir).absolute()
    splits = splits if splits is not None else read_run(output_dir, stats)
    path = output_dir / REPORT
    atomic_write_text(path, render(output_dir, splits))
    return path


def finish_report(output_dir: Path | str, stats: dict[str, dict[str, Any]]) -> Path | None:
    """Print the terminal details and write ``report.html``.

    A report that cannot be made (e.g. a plotting error) is logged, never fatal: the
    prepared data is complete either way.
    """
    try:
        splits = read_run(Path(output_dir), stats)
        print_details(splits)
        path = write_report(Path(output_dir), splits=splits)
    except Exception:  # noqa: BLE001 - the run's outputs are already complete
        log.exception("could not write the run report under %s", output_dir)
        return None
    print(f"report: {path}")
    return path
