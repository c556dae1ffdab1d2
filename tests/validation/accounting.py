"""Run every item of a dataset through the real runner and say what became of it."""

from __future__ import annotations

from typing import Any

from espnet3_prep.cleaners import DROP_REASONS as CLEANER_REASONS
from espnet3_prep.cleaners import build_cleaner
from espnet3_prep.datasets.base import DATASET_DROP_REASONS
from espnet3_prep.execution.sinks import Dropped
from espnet3_prep.features import build_feature
from espnet3_prep.prep.runner import PrepRunner

DROP_REASONS = (*DATASET_DROP_REASONS, *CLEANER_REASONS)
MEL_BINS = 23


def runner_env() -> dict[str, Any]:
    """The default cleaner's metadata and length steps and a small fbank, as a run builds
    them."""
    return {"model": build_feature({"type": "fbank", "num_mel_bins": MEL_BINS}),
            "cleaner": build_cleaner({"steps": ["presence", "valid_id", "duplicate_id",
                                                "non_utf8", "normalize_text", "empty_text",
                                                "zero_length", "duration", "text_rate"]})}


def account(dataset: Any, env: dict[str, Any]) -> list[str]:
    """Run every item through the real runner; the outcome of each (``kept`` or a reason)."""
    outcomes = []
    for idx in range(len(dataset)):
        result = PrepRunner.forward(idx, dataset=dataset, **env)
        if isinstance(result, Dropped):
            assert result.reason in DROP_REASONS, result
            assert result.detail, result
            outcomes.append(result.reason)
        else:
            assert result["feats"].shape[1] == MEL_BINS and isinstance(result["text"], str)
            outcomes.append("kept")
    return outcomes
