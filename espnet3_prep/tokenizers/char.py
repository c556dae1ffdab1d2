"""``tokenizer=char``: characters, ``<space>`` for blanks, non-linguistic symbols whole
(``espnet2.text.char_tokenizer.CharTokenizer``'s rules)."""

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

KEYS = frozenset({"space_symbol"})


def check(cfg: Mapping[str, Any]) -> None:
    """Config errors naming ``tokenizer.<key>``."""
    check_keys(cfg, KEYS, "char")
    string_list(cfg, "non_linguistic_symbols")
    string_list({"space_symbol": cfg.get("space_symbol", "<space>")}, "space_symbol")
    int_option(cfg, "vocab_size", 0, 0)


def text2tokens(line: str, nlsyms: list[str], space: str) -> list[str]:
    """One line as ESPnet's CharTokenizer splits it (longest symbols are tried first)."""
    ordered = sorted(nlsyms, key=lambda s: (-len(s), s))
    tokens: list[str] = []
    while line:
        symbol = next((s for s in ordered if line.startswith(s)), None)
        if symbol is not None:
            tokens.append(symbol)
            line = line[len(symbol):]
            continue
        tokens.append(space if line[0] == " " else line[0])
        line = line[1:]
    return tokens


def train(cfg: Mapping[str, Any], lines: Iterable[str]) -> TrainedTokenizer:
    """The token list of ``lines`` in ESPnet's frequency order."""
    nlsyms = string_list(cfg, "non_linguistic_symbols")
    space = str(cfg.get("space_symbol", "<space>"))
    tokens = by_frequency((text2tokens(line, nlsyms, space) for line in lines),
                          int_option(cfg, "vocab_size", 0, 0))
    return TrainedTokenizer(espnet_token_list(tokens))
