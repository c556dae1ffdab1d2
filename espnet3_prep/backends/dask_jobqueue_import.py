"""Import ``dask_jobqueue`` without losing Ctrl-C.

Importing ``dask_jobqueue`` (its ``runner`` module) replaces the process's SIGINT handler
with ``lambda *_: sys.exit()``, so Ctrl-C would exit with code 0, skip our
"interrupted; rerun to resume" handling and look like success to ``&&`` chains.
"""

from __future__ import annotations

import signal
import threading
from types import ModuleType


def import_dask_jobqueue() -> ModuleType:
    """``dask_jobqueue``, with the SIGINT handler that was set before its first import."""
    before = signal.getsignal(signal.SIGINT)
    import dask_jobqueue

    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread and before is not None and signal.getsignal(signal.SIGINT) is not before:
        signal.signal(signal.SIGINT, before)
    return dask_jobqueue
