"""``keep_freed_memory``: big numpy buffers are recycled, not page-faulted in every time."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from espnet3_prep.malloc import keep_freed_memory

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
LOOP = """
import resource, sys
import numpy as np
if sys.argv[1] == "tuned":
    from espnet3_prep.malloc import keep_freed_memory
    assert keep_freed_memory()
np.ones(262144, np.float32).sum()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):
    np.ones(262144, np.float32).sum()  # 1 MiB, allocated and freed
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _page_faults(mode: str) -> int:
    env = dict(os.environ, MALLOC_TRIM_THRESHOLD_="65536")  # what Dask's nanny exports
    done = subprocess.run([sys.executable, "-c", LOOP, mode], capture_output=True, text=True,
                          env=env, check=True)
    return int(done.stdout.strip())


@pytest.mark.skipif(not GLIBC, reason="glibc only")
def test_applies_and_is_idempotent() -> None:
    assert keep_freed_memory() is True
    assert keep_freed_memory() is True


@pytest.mark.skipif(not GLIBC, reason="glibc only")
def test_dask_style_trim_threshold_no_longer_faults_every_buffer() -> None:
    default, tuned = _page_faults("default"), _page_faults("tuned")
    assert default > 200 * 200  # ~256 fresh pages per 1 MiB buffer
    assert tuned < default / 20
