"""One compute thread per worker process (every backend calls this before building the env)."""

from __future__ import annotations

import os
import sys

from espnet3_prep.malloc import keep_freed_memory

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def limit_threads() -> None:
    """One compute thread per worker process (BLAS, OpenMP and torch), and large buffers
    recycled by the allocator instead of page-faulted in afresh (:mod:`espnet3_prep.malloc`)."""
    keep_freed_memory()
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    from threadpoolctl import threadpool_limits  # a dependency; loads BLAS info lazily

    threadpool_limits(1)
    torch = sys.modules.get("torch")  # only if the user's code already imported it
    if torch is not None:
        torch.set_num_threads(1)
