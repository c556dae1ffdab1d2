"""Runners for detached-job tests; in an importable module, as detached jobs import them."""

from __future__ import annotations

import time
from typing import Any

from tests.runner.toy import ToyRunner


class NappingToyRunner(ToyRunner):
    """:class:`ToyRunner` sleeping ``nap`` seconds (a provider param) before each item."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any, offset: int = 0,  # type: ignore[override]
                nap: float = 0.0) -> Any:
        time.sleep(nap)
        return ToyRunner.forward(idx, dataset=dataset, model=model, offset=offset)
