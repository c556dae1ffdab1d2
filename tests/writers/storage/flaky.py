"""A PrepRunner whose items ending in ``-0002`` fail while the file named by
``ESPNET3_PREP_TEST_FLAG`` exists (the user then "fixes the input" by removing it)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from espnet3_prep.prep.runner import PrepRunner


class FlakyPrepRunner(PrepRunner):
    """PrepRunner that raises for ``*-0002`` while the flag file exists."""

    @staticmethod
    def forward(idx: int, **env: Any) -> Any:  # type: ignore[override]
        flag = os.environ.get("ESPNET3_PREP_TEST_FLAG", "")
        if flag and Path(flag).exists() and str(env["dataset"][idx]["utt_id"]).endswith(
                "-0002"):
            raise RuntimeError("simulated decoder crash")
        return PrepRunner.forward(idx, **env)
