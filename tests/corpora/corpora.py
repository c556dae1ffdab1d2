"""What the corpus tests share: where each synthetic corpus's root is, and its CLI args."""

from __future__ import annotations

from pathlib import Path

ROOTS = {
    "commonvoice": "commonvoice/cv-corpus-synth",
    "tedlium": "tedlium/TEDLIUM_release-3",
    "aishell": "aishell",
    "ljspeech": "ljspeech/LJSpeech-1.1",
    "mls": "mls",
}
"""Corpus -> its ``dataset.root`` under the synthesizer's output folder."""
KEEP_CASE = "cleaner.steps.4.case=keep"  # texts as the corpus writes them (lhotse's too)


def corpus_args(synth: Path, name: str) -> list[str]:
    """The CLI overrides selecting corpus ``name`` (all its splits)."""
    args = [f"dataset={name}", f"dataset.root={synth / ROOTS[name]}"]
    if name == "ljspeech":
        args.append("dataset.text=raw")
    return args
