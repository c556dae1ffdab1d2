"""What every tokenizer shares: its options, ESPnet's token-list layout, the frequency
order of ESPnet's ``tokenize_text --write_vocabulary``.

ESPnet's layout (``asr.sh`` stage 5): ``<blank>`` first, ``<unk>`` second, the tokens,
``<sos/eos>`` last. For ``char``/``word`` the tokens are sorted by descending count, ties
in order of first appearance (Python's stable sort over a ``Counter``, as
``espnet2.bin.tokenize_text`` does); for sentencepiece they follow the model's pieces.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from espnet3_prep.errors import ConfigError

BLANK, UNK, SOS_EOS = "<blank>", "<unk>", "<sos/eos>"
SPECIALS = (BLANK, UNK, SOS_EOS)
COMMON_KEYS = frozenset({"type", "train_splits", "non_linguistic_symbols", "vocab_size"})


@dataclass(frozen=True)
class TrainedTokenizer:
    """A trained tokenizer: the token list and, for sentencepiece, the model bytes."""

    tokens: list[str]
    model: bytes | None = None


def espnet_token_list(tokens: Iterable[str]) -> list[str]:
    """``<blank>``, ``<unk>``, ``tokens`` (specials removed), ``<sos/eos>``."""
    body = [t for t in tokens if t not in SPECIALS]
    return [BLANK, UNK, *body, SOS_EOS]


def by_frequency(token_lines: Iterable[list[str]], vocab_size: int) -> list[str]:
    """Tokens by descending count (ties: first appearance); ``vocab_size`` > 0 caps the
    list *including* the three specials, as ``tokenize_text --vocabulary_size`` does."""
    counter: Counter[str] = Counter()
    for tokens in token_lines:
        counter.update(tokens)
    ordered = [t for t, _ in sorted(counter.items(), key=lambda item: -item[1])]
    if vocab_size > 0:
        ordered = ordered[: vocab_size - len(SPECIALS)]
    return ordered


def string_list(cfg: Mapping[str, Any], key: str) -> list[str]:
    """``tokenizer.<key>`` as a list of non-empty strings without whitespace."""
    value = cfg.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"tokenizer.{key}={value!r}: expected a list of strings, e.g. "
                          f"'tokenizer.{key}=[<noise>,<laugh>]'")
    for item in value:
        if not item or any(c.isspace() for c in item):
            raise ConfigError(f"tokenizer.{key}: {item!r} is empty or has whitespace; a "
                              "symbol is one whitespace-free token")
    return list(value)


MAX_INT_OPTION = 2**31 - 1
"""sentencepiece reads its integer options as int32."""


def int_option(cfg: Mapping[str, Any], key: str, default: int, minimum: int) -> int:
    """``tokenizer.<key>`` as an int in [``minimum``, 2^31 - 1]."""
    value = cfg.get(key, default)
    if (isinstance(value, bool) or not isinstance(value, int) or value < minimum
            or value > MAX_INT_OPTION):
        raise ConfigError(f"tokenizer.{key}={value!r}: expected an integer in [{minimum}, "
                          f"{MAX_INT_OPTION}] — e.g. tokenizer.{key}={default}")
    return value


def check_keys(cfg: Mapping[str, Any], allowed: frozenset[str], kind: str) -> None:
    """Unknown ``tokenizer.*`` keys are typos: name them and the valid ones."""
    unknown = sorted(set(cfg) - allowed - COMMON_KEYS)
    if unknown:
        raise ConfigError(f"tokenizer: unknown key(s) {', '.join(unknown)} for "
                          f"tokenizer={kind}; valid: {', '.join(sorted(allowed | COMMON_KEYS))}")
