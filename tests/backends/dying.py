"""A toy runner whose job process dies (SIGKILL, like the OOM killer) on item 7."""

from __future__ import annotations

import os
import signal
from typing import Any

from tests.runner.toy import ToyRunner


class DyingToyRunner(ToyRunner):
    """:class:`ToyRunner` that kills its own process when it reaches item 7."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any, offset: int = 0) -> Any:
        if idx == 7:
            os.kill(os.getpid(), signal.SIGKILL)
        return ToyRunner.forward(idx, dataset=dataset, model=model, offset=offset)
