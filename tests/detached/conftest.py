"""Reference outputs of a synchronous run, and helpers to watch detached jobs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.prep.helpers import output_bytes, run_cli

SHARD_SIZE = "runner.shard_size=5"


@pytest.fixture(scope="session")
def sync_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The embedded corpus prepared in-process (5 items per shard), as comparable bytes."""
    out = tmp_path_factory.mktemp("sync-reference") / "exp"
    proc = run_cli(f"output_dir={out}", SHARD_SIZE, "parallel=none")
    assert proc.returncode == 0, proc.stderr
    return output_bytes(out)


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``check`` every 0.2 s until it returns something truthy; fail after timeout."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def book(split_dir: Path) -> dict[str, Any]:
    """The split's jobs.json."""
    return json.loads((split_dir / "jobs" / "jobs.json").read_text())
