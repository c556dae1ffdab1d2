"""The runner and provider of the golden output under tests/compat/golden (written by the
pre-refactor code, commit 67e5691): keep these class paths and behaviours unchanged, or
regenerate the golden output and say why in the commit."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from espnet3_prep.runner.base_runner import BaseRunner
from espnet3_prep.runner.inference_provider import InferenceProvider


class GoldenProvider(InferenceProvider):
    """Dataset: the integers 0..size-1."""

    @staticmethod
    def build_dataset(cfg: DictConfig) -> Any:
        return list(range(int(cfg.size)))


class GoldenRunner(BaseRunner):
    """Kept results are small dicts; every 4th item is dropped with a reason."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any, **env: Any) -> Any:
        from espnet3_prep import Dropped

        if idx % 4 == 3:
            return Dropped(f"utt{idx}", "golden_rule", "every 4th")
        return {"idx": idx, "double": dataset[idx] * 2}
