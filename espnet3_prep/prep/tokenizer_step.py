"""The tokenizer step: after the training splits are collected, train the configured
tokenizer on their ``text`` and write ESPnet's token list.

Output: ``output_dir/token_list/<type>[_<model_type><vocab>]/`` with ``tokens.txt``,
``bpe.model`` (sentencepiece only), ``non_linguistic_symbols.txt`` (when given) and a
``DONE`` marker holding a hash of the options and the training text. A rerun with the
same marker skips the step; anything else retrains, and the same text and options give
byte-identical files. Config mistakes (including a vocabulary sentencepiece would refuse,
tried on the corpus' transcripts) are found by :func:`check_tokenizer_step`, before any
shard runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from espnet3_prep.compat import resolve_class
from espnet3_prep.errors import ConfigError
from espnet3_prep.storage.files import AtomicBatch, atomic_batch, atomic_open
from espnet3_prep.tokenizers import check_tokenizer, token_list_name, train_tokenizer

log = logging.getLogger(__name__)
TOKEN_LIST_DIR = "token_list"
DONE = "DONE"
PREFLIGHT_SENTENCES = 20_000


def tokenizer_config(cfg: DictConfig) -> dict[str, Any]:
    """The ``tokenizer`` section as a plain dict (``{}`` when absent)."""
    node = cfg.get("tokenizer")
    return dict(OmegaConf.to_container(node, resolve=True)) if node else {}  # type: ignore[arg-type]


def train_splits(tok: dict[str, Any], splits: list[str]) -> list[str]:
    """``tokenizer.train_splits``, else the splits named ``train*``, else the first."""
    given = tok.get("train_splits")
    if given is not None and not isinstance(given, str | list | tuple):
        raise ConfigError(f"tokenizer.train_splits={given!r}: expected a split name or a "
                          "list of them — e.g. tokenizer.train_splits=[train-clean-100]")
    if given:
        given = [given] if isinstance(given, str) else list(given)
        unknown = [s for s in given if s not in splits]
        if unknown:
            raise ConfigError(f"tokenizer.train_splits: {unknown} not among the prepared "
                              f"splits {splits}; fix tokenizer.train_splits or dataset.splits")
        return [str(s) for s in given]
    return [s for s in splits if s.startswith("train")] or splits[:1]


def token_list_dir(cfg: DictConfig) -> Path:
    """Where the step writes: ``output_dir/token_list/<name>``."""
    return Path(str(cfg.output_dir)).absolute() / TOKEN_LIST_DIR / token_list_name(
        tokenizer_config(cfg))


def check_tokenizer_step(cfg: DictConfig, splits: list[str]) -> None:
    """Every tokenizer config error, before any shard runs. For sentencepiece, a trial
    training on (up to 20,000 of) the raw transcripts of the training splits catches a
    vocabulary the text cannot support."""
    tok = tokenizer_config(cfg)
    if check_tokenizer(tok) is None:
        return
    chosen = train_splits(tok, splits)
    if tok.get("type") != "bpe":
        return
    lines = list(_raw_transcripts(cfg, chosen))
    sample = lines[:: max(1, len(lines) // PREFLIGHT_SENTENCES)][:PREFLIGHT_SENTENCES]
    if not sample:
        raise ConfigError(f"tokenizer: the training splits {chosen} have no transcripts to "
                          "train on; set tokenizer.train_splits or tokenizer=none")
    try:
        train_tokenizer(tok, sample)
    except ConfigError as exc:
        if len(sample) == len(lines):
            raise
        log.warning("%s (tried on %d of %d transcripts; the full text may allow it)", exc,
                    len(sample), len(lines))


def _raw_transcripts(cfg: DictConfig, splits: list[str]) -> Iterator[str]:
    provider = resolve_class(str(cfg.provider._target_))
    for split in splits:
        one = OmegaConf.create(OmegaConf.to_container(cfg, resolve=True))
        one.dataset.split = split  # as prep.pipeline.split_config does
        dataset = provider.build_dataset(one)
        for idx in range(len(dataset)):
            text = dataset[idx].get("text")
            if text and text.strip():
                yield " ".join(text.split())


def describe_step(cfg: DictConfig, splits: list[str]) -> str | None:
    """One line for ``action=plan``."""
    tok = tokenizer_config(cfg)
    if check_tokenizer(tok) is None:
        return None
    files = "bpe.model, tokens.txt" if tok.get("type") == "bpe" else "tokens.txt"
    return (f"tokenizer: {token_list_name(tok)} trained on the text of "
            f"{', '.join(train_splits(tok, splits))} -> {token_list_dir(cfg)} ({files})")


def run_tokenizer_step(cfg: DictConfig, splits: list[str]) -> Path | None:
    """Train and write the token list unless its DONE marker says it is up to date."""
    tok = tokenizer_config(cfg)
    if check_tokenizer(tok) is None:
        return None
    output_dir = Path(str(cfg.output_dir)).absolute()
    texts = [output_dir / split / "text" for split in train_splits(tok, splits)]
    missing = [str(t) for t in texts if not t.is_file()]
    if missing:
        raise ConfigError(f"tokenizer: {missing} missing; the training splits must be "
                          "prepared (and collected) first")
    target, key = token_list_dir(cfg), _key(tok, texts)
    done = target / DONE
    if done.is_file() and json.loads(done.read_text()).get("key") == key:
        log.info("tokenizer: %s is up to date", target)
        return target
    done.unlink(missing_ok=True)
    trained = train_tokenizer(tok, [line for t in texts for line in _text_lines(t)])
    nlsyms = tok.get("non_linguistic_symbols") or []
    with atomic_batch() as batch:
        _write(target / "tokens.txt", "".join(f"{t}\n" for t in trained.tokens), batch)
        _write(target / "bpe.model", trained.model, batch)
        _write(target / "non_linguistic_symbols.txt",
               "".join(f"{s}\n" for s in nlsyms) if nlsyms else None, batch)
    _write(done, json.dumps({"key": key, "tokens": len(trained.tokens),
                             "train_text": [str(t) for t in texts]}, indent=1) + "\n")
    log.info("tokenizer: %d tokens -> %s", len(trained.tokens), target)
    return target


def _text_lines(path: Path) -> Iterator[str]:
    """Kaldi ``text``'s transcripts (ESPnet's ``--field 2-``), empty ones skipped."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            words = line.split()[1:]
            if words:
                yield " ".join(words)


def _key(tok: dict[str, Any], texts: list[Path]) -> str:
    digest = hashlib.sha256(json.dumps(tok, sort_keys=True).encode())
    for path in texts:
        digest.update(path.parent.name.encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _write(path: Path, content: str | bytes | None, batch: AtomicBatch | None = None) -> None:
    """Atomically write ``content`` (joining ``batch``); None removes a stale file."""
    if content is None:
        path.unlink(missing_ok=True)
        return
    with atomic_open(path, "wb" if isinstance(content, bytes) else "w", batch=batch) as handle:
        handle.write(content)
