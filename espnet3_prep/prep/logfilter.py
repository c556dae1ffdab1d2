"""Keep Dask's own INFO chatter out of the terminal (it still goes to the run's log file).

Hydra's ``job_logging`` (``conf/config.yaml``) puts :class:`DaskChatter` on the console
handler only: records of the ``distributed``, ``dask``, ``dask_jobqueue`` and ``tornado``
loggers below WARNING are dropped there, while the file handler
(``<output_dir>/hydra/<time>/<job>.log``) keeps everything. Our progress lines, the
summary and every warning or error (Dask's included) still reach the terminal.
"""

from __future__ import annotations

import logging

CHATTY = ("distributed", "dask", "dask_jobqueue", "tornado")


class DaskChatter(logging.Filter):
    """Drop below-WARNING records of Dask's loggers (and their children)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for Dask INFO/DEBUG records, True for everything else."""
        if record.levelno >= logging.WARNING:
            return True
        name = record.name
        return not any(name == top or name.startswith(top + ".") for top in CHATTY)
