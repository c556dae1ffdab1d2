"""glibc allocator tuning for worker processes (large numpy buffers without page faults).

Every utterance allocates a few buffers of 0.1-3 MB (decoded samples, FFT output, the
feature matrix). glibc serves blocks above ``M_MMAP_THRESHOLD`` with a fresh ``mmap``
and unmaps them on free, so each new buffer page-faults all of its pages in again. By
default glibc raises that threshold dynamically after the first such free, but an
explicit ``MALLOC_TRIM_THRESHOLD_`` (which Dask's nanny exports to every worker: 64 KiB)
turns the dynamic adjustment off: measured, the fbank pipeline then runs 1.6x slower in
a Dask worker than in-process. :func:`keep_freed_memory` sets fixed, generous thresholds
so such buffers are recycled from the heap; freed memory up to ``trim_mb`` stays mapped.
"""

from __future__ import annotations

import ctypes
import functools
import platform
from typing import Any

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MB = 32  # glibc's own upper bound for the dynamic threshold on 64-bit
TRIM_THRESHOLD_MB = 128


@functools.cache
def _mallopt() -> Any:
    """glibc's ``mallopt`` (looked up once: ``platform.libc_ver`` reads the executable)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return None
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt


def keep_freed_memory(mmap_mb: int = MMAP_THRESHOLD_MB, trim_mb: int = TRIM_THRESHOLD_MB
                      ) -> bool:
    """Serve allocations below ``mmap_mb`` from the heap, keep up to ``trim_mb`` freed.

    Returns:
        True when applied (glibc), False elsewhere (musl, macOS...), where it is a no-op.
    """
    mallopt = _mallopt()
    if mallopt is None:
        return False
    mib = 1024 * 1024
    ok = mallopt(M_MMAP_THRESHOLD, mmap_mb * mib) == 1
    return ok and mallopt(M_TRIM_THRESHOLD, trim_mb * mib) == 1
