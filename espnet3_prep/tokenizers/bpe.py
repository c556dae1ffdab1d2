"""``tokenizer=bpe``: a sentencepiece model (``model_type`` unigram or bpe), trained as
ESPnet2's ``asr.sh`` stage 5 runs ``spm_train``; the token list follows the model's
pieces without ``<unk>``, ``<s>``, ``</s>``, wrapped in ESPnet's specials.

Training is in memory (no input path or prefix in the model file), single-threaded by
default and seeded, so the same text and options give a byte-identical ``bpe.model``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

from espnet3_prep.errors import ConfigError
from espnet3_prep.tokenizers.base import (
    TrainedTokenizer,
    check_keys,
    espnet_token_list,
    int_option,
    string_list,
)

KEYS = frozenset({"model_type", "character_coverage", "input_sentence_size",
                  "user_defined_symbols", "num_threads"})
MODEL_TYPES = ("unigram", "bpe")
SEED = 0


def check(cfg: Mapping[str, Any]) -> None:
    """Config errors naming ``tokenizer.<key>`` (the ones decidable without the text)."""
    check_keys(cfg, KEYS, "bpe")
    if cfg.get("model_type", "unigram") not in MODEL_TYPES:
        raise ConfigError(f"tokenizer.model_type={cfg.get('model_type')!r}: use "
                          f"{' or '.join(MODEL_TYPES)}")
    coverage = cfg.get("character_coverage", 1.0)
    if isinstance(coverage, bool) or not isinstance(coverage, int | float) or \
            not 0.9 <= coverage <= 1.0:
        raise ConfigError(f"tokenizer.character_coverage={coverage!r}: expected a number in "
                          "[0.9, 1.0] (1.0 for English, 0.9995 for Chinese/Japanese)")
    int_option(cfg, "vocab_size", 5000, 4)
    int_option(cfg, "input_sentence_size", 100_000_000, 1)
    int_option(cfg, "num_threads", 1, 1)
    symbols = string_list(cfg, "user_defined_symbols") + string_list(
        cfg, "non_linguistic_symbols")
    if len(set(symbols)) != len(symbols):
        raise ConfigError(f"tokenizer.user_defined_symbols / non_linguistic_symbols repeat a "
                          f"symbol: {symbols}; list each once")


def train(cfg: Mapping[str, Any], lines: Iterable[str]) -> TrainedTokenizer:
    """Train sentencepiece on ``lines``; ConfigError naming the key when it refuses."""
    import sentencepiece as spm

    check(cfg)
    symbols = string_list(cfg, "user_defined_symbols") + string_list(
        cfg, "non_linguistic_symbols")  # ESPnet passes nlsyms as user_defined_symbols
    model = io.BytesIO()
    spm.set_random_generator_seed(SEED)
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(list(lines)), model_writer=model,
            vocab_size=int(cfg.get("vocab_size", 5000)),
            model_type=str(cfg.get("model_type", "unigram")),
            character_coverage=float(cfg.get("character_coverage", 1.0)),
            input_sentence_size=int(cfg.get("input_sentence_size", 100_000_000)),
            shuffle_input_sentence=True, user_defined_symbols=symbols,
            num_threads=int(cfg.get("num_threads", 1)), minloglevel=2)
    except RuntimeError as exc:
        raise ConfigError(explain(cfg, str(exc))) from exc
    data = model.getvalue()
    processor = spm.SentencePieceProcessor(model_proto=data)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())
              if not (processor.is_unknown(i) or processor.is_control(i))]
    return TrainedTokenizer(espnet_token_list(pieces), model=data)


def explain(cfg: Mapping[str, Any], message: str) -> str:
    """sentencepiece's refusal as a message naming the ``tokenizer.*`` key and the fix."""
    vocab = cfg.get("vocab_size", 5000)
    high = re.search(r"Vocabulary size (?:is )?too high \((\d+)\).*?<= ?(\d+)", message)
    if high:
        return (f"tokenizer.vocab_size={vocab} is larger than the training text allows "
                f"(at most {high.group(2)} for model_type={cfg.get('model_type', 'unigram')}); "
                f"set tokenizer.vocab_size<={high.group(2)}")
    if "smaller than required_chars" in message:
        return (f"tokenizer.vocab_size={vocab} is smaller than the characters the text needs "
                f"({message.strip().splitlines()[-1]}); raise tokenizer.vocab_size or lower "
                "tokenizer.character_coverage")
    return f"tokenizer: sentencepiece refused the options ({message.strip()}); check tokenizer.*"
