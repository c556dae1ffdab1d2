"""A toy runner whose items take ``delay`` seconds, so tests can kill jobs mid-run.

It lives in an importable module (not a test's ``__main__``) because worker and job
processes unpickle it by reference.
"""

from __future__ import annotations

import time
from typing import Any

from tests.runner.toy import ToyRunner


class SlowToyRunner(ToyRunner):
    """:class:`ToyRunner` sleeping ``delay`` seconds (a provider param) before each item."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any, offset: int = 0,  # type: ignore[override]
                delay: float = 0.0) -> Any:
        time.sleep(delay)
        return ToyRunner.forward(idx, dataset=dataset, model=model, offset=offset)
