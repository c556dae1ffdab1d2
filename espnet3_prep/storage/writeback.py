"""Start the kernel's writeback of a file early, so that its final ``fsync`` is short.

A shard's ark (~30 MB per 100 utterances) is made durable by ``fsync`` at commit
(:meth:`espnet3_prep.storage.shards.ShardStore.commit`); with all its pages still dirty, that call
waits for the whole write. ``sync_file_range(SYNC_FILE_RANGE_WRITE)`` queues the dirty
pages for writing and returns: the disk works while the next utterances are computed, and
the commit's ``fsync`` — still the durability guarantee — finds little left to do.
Linux only (through libc); elsewhere a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
from collections.abc import Callable

SYNC_FILE_RANGE_WRITE = 2
KICK_BYTES = 4 << 20
"""Writers start a writeback after every this many bytes."""


@functools.cache
def _sync_file_range() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        func = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


def start_writeback(fd: int) -> bool:
    """Queue the file's dirty pages for writing without waiting (best effort); returns
    whether the kernel accepted the request (errors are ignored: the commit's fsync runs)."""
    func = _sync_file_range()
    if func is None:
        return False
    return func(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0
