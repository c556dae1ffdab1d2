"""A PrepRunner that sleeps per item (``ESPNET3_PREP_TEST_SLEEP`` seconds) so tests can
interrupt or kill a run mid-way; outputs are identical to PrepRunner's. With
``ESPNET3_PREP_TEST_GATE=<file>`` each item also waits while that file exists (at most
120 s), so a test can hold jobs "running" for as long as it needs, whatever the load."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from espnet3_prep.prep.runner import PrepRunner


class SlowPrepRunner(PrepRunner):
    """PrepRunner with a configurable delay before each item."""

    @staticmethod
    def forward(idx: int, **env: Any) -> Any:  # type: ignore[override]
        time.sleep(float(os.environ.get("ESPNET3_PREP_TEST_SLEEP", "0")))
        _wait_at_gate(os.environ.get("ESPNET3_PREP_TEST_GATE"))
        return PrepRunner.forward(idx, **env)


def _wait_at_gate(gate: str | None, limit: float = 120.0) -> None:
    """Wait while the gate file exists (a test removes it to let the jobs finish)."""
    deadline = time.monotonic() + limit
    while gate and os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.05)


class FailingPrepRunner(PrepRunner):
    """PrepRunner whose forward raises for every utterance ending in ``-0002``."""

    @staticmethod
    def forward(idx: int, **env: Any) -> Any:  # type: ignore[override]
        if str(env["dataset"][idx]["utt_id"]).endswith("-0002"):
            raise RuntimeError("simulated decoder crash")
        return PrepRunner.forward(idx, **env)


class DyingPrepRunner(PrepRunner):
    """PrepRunner whose process dies (SIGKILL, like the OOM killer) on utterance ``-0002``."""

    @staticmethod
    def forward(idx: int, **env: Any) -> Any:  # type: ignore[override]
        if str(env["dataset"][idx]["utt_id"]).endswith("-0002"):
            os.kill(os.getpid(), signal.SIGKILL)
        return PrepRunner.forward(idx, **env)
