"""Tokenizers trained on the prepared training text, in ESPnet's token-list layout.

``tokenizer.type``: ``none`` (default), ``bpe`` (sentencepiece), ``char``, ``word``; one
module per type with ``check(cfg)`` (config errors naming ``tokenizer.<key>``) and
``train(cfg, lines) -> TrainedTokenizer``. The step that runs them after the training
splits are collected is :mod:`espnet3_prep.prep.tokenizer_step`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

from espnet3_prep.errors import ConfigError
from espnet3_prep.tokenizers import bpe, char, word
from espnet3_prep.tokenizers.base import SPECIALS, TrainedTokenizer, espnet_token_list

__all__ = ["SPECIALS", "TOKENIZERS", "TrainedTokenizer", "check_tokenizer", "espnet_token_list",
           "token_list_name", "tokenizer_type", "train_tokenizer"]

TOKENIZERS: dict[str, ModuleType] = {"bpe": bpe, "char": char, "word": word}


def tokenizer_type(cfg: Mapping[str, Any] | None) -> str | None:
    """The configured type, or None for ``none``/no tokenizer section."""
    kind = (cfg or {}).get("type") or "none"
    if kind == "none":
        return None
    if not isinstance(kind, str) or kind not in TOKENIZERS:
        raise ConfigError(f"tokenizer.type={kind!r}: use one of none, "
                          f"{', '.join(TOKENIZERS)} (e.g. tokenizer=bpe)")
    return str(kind)


def check_tokenizer(cfg: Mapping[str, Any] | None) -> str | None:
    """Validate the ``tokenizer`` section; returns its type (None for none)."""
    kind = tokenizer_type(cfg)
    if kind is not None:
        TOKENIZERS[kind].check(cfg or {})
    return kind


def token_list_name(cfg: Mapping[str, Any]) -> str:
    """ESPnet's folder name: ``bpe_unigram5000``, ``char``, ``word``."""
    kind = tokenizer_type(cfg)
    if kind == "bpe":
        return f"bpe_{cfg.get('model_type', 'unigram')}{cfg.get('vocab_size', 5000)}"
    return str(kind)


def train_tokenizer(cfg: Mapping[str, Any], lines: Iterable[str]) -> TrainedTokenizer:
    """Train the configured tokenizer on ``lines`` (one transcript each)."""
    kind = check_tokenizer(cfg)
    if kind is None:
        raise ConfigError("tokenizer.type=none has nothing to train")
    return TOKENIZERS[kind].train(cfg, lines)
