"""A corpus-specific Provider/Runner pair (the spec's pattern) on top of espnet3-prep's.

The corpus arrives as a JSONL manifest or a Kaldi data dir (the built-in readers), but it
has its own problem: some transcripts are misaligned with their audio. The runner adds
each utterance's speaking rate to the manifest row and drops utterances whose rate is
implausible, with their own drop reason. Point the config at these classes with
``provider._target_=my_corpus.MyCorpusProvider runner._target_=my_corpus.MyCorpusRunner``
(``recipes/generic`` must be on PYTHONPATH; the Makefile sets it).
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from espnet3_prep import Dropped
from espnet3_prep.cleaners import Cleaner
from espnet3_prep.prep.provider import PrepProvider
from espnet3_prep.prep.runner import PrepRunner

MAX_CHARS_PER_SECOND = 30.0  # faster than any real speech: a misaligned transcript


class MyCorpusProvider(PrepProvider):
    """Everything PrepProvider builds (dataset, features, cleaner) plus the rate limit."""

    @staticmethod
    def build_extras(cfg: DictConfig) -> dict[str, Any]:
        """Per-process extras: the cleaner, audio options and ``max_chars_per_s``.

        The runner checks the speaking rate itself (with its own drop reason), so the
        cleaner's built-in ``text_rate`` step is left out.
        """
        extras = PrepProvider.build_extras(cfg)
        cleaner = extras.get("cleaner")
        if cleaner is not None:
            extras["cleaner"] = Cleaner([s for s in cleaner.steps if s.NAME != "text_rate"])
        return {**extras, "max_chars_per_s": MAX_CHARS_PER_SECOND}


class MyCorpusRunner(PrepRunner):
    """PrepRunner's forward, then the corpus's own check and an extra manifest field."""

    @staticmethod
    def forward(idx: int, *, max_chars_per_s: float = MAX_CHARS_PER_SECOND,  # type: ignore[override]
                **env: Any) -> Any:
        """Read, clean, extract (as PrepRunner); drop implausible speaking rates."""
        row = PrepRunner.forward(idx, **env)
        if not isinstance(row, dict):  # already dropped (Dropped) or filtered (None)
            return row
        rate = len(row["text"].replace(" ", "")) / max(row["duration"], 1e-3)
        if rate > max_chars_per_s:
            return Dropped(row["utt_id"], "implausible_speaking_rate",
                           f"{rate:.1f} chars/s > {max_chars_per_s}", row["duration"])
        row["chars_per_s"] = round(rate, 2)
        return row
