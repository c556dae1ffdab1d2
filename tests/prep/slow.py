"""A PrepRunner that sleeps per item (``ESPNET3_PREP_TEST_SLEEP`` seconds) so tests can
interrupt or kill a run mid-way; outputs are identical to PrepRunner's."""

from __future__ import annotations

import os
import time
from typing import Any

from espnet3_prep.prep.runner import PrepRunner


class SlowPrepRunner(PrepRunner):
    """PrepRunner with a configurable delay before each item."""

    @staticmethod
    def forward(idx: int, **env: Any) -> Any:  # type: ignore[override]
        time.sleep(float(os.environ.get("ESPNET3_PREP_TEST_SLEEP", "0")))
        return PrepRunner.forward(idx, **env)
