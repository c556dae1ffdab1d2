"""``tokenizer=word``: whitespace-separated words (``espnet2.text.word_tokenizer``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from espnet3_prep.tokenizers.base import (
    TrainedTokenizer,
    by_frequency,
    check_keys,
    espnet_token_list,
    int_option,
    string_list,
)

KEYS: frozenset[str] = frozenset()


def check(cfg: Mapping[str, Any]) -> None:
    """Config errors naming ``tokenizer.<key>``."""
    check_keys(cfg, KEYS, "word")
    string_list(cfg, "non_linguistic_symbols")
    int_option(cfg, "vocab_size", 0, 0)


def train(cfg: Mapping[str, Any], lines: Iterable[str]) -> TrainedTokenizer:
    """The word list of ``lines`` in ESPnet's frequency order (non-linguistic symbols are
    words like any other: ESPnet keeps them unless told to remove them)."""
    tokens = by_frequency((line.split() for line in lines), int_option(cfg, "vocab_size", 0, 0))
    return TrainedTokenizer(espnet_token_list(tokens))
