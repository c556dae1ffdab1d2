"""Shared fixtures: the embedded corpus, small real audio trees, and the SLURM gate."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MINI_ROOT = REPO / "espnet3_prep" / "data" / "mini_librispeech" / "LibriSpeech"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """SLURM tests run only against the cluster tools/run_tests.sh brought up."""
    state = os.environ.get("ESPNET3_PREP_SLURM", "not started")
    if state == "up":
        return
    reason = (f"local SLURM is {state}: run `make test` (tools/run_tests.sh brings it up) "
              "or `tools/slurm_localhost.sh up` first")
    for item in items:
        if item.get_closest_marker("slurm") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def mini_root() -> Path:
    """The embedded mini LibriSpeech shipped in the package."""
    assert MINI_ROOT.is_dir(), "embedded corpus missing: run tools/make_mini_corpus.sh"
    return MINI_ROOT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fault/bad-input matrix gathered by the reliability tests."""
    from tests.matrix import ROWS

    if not ROWS:
        return
    width = max(len(r[0]) for r in ROWS)
    terminalreporter.section("reliability matrix")
    for scenario, outcome, guarantee in ROWS:
        terminalreporter.write_line(f"{scenario:<{width}} | {outcome:<28} | {guarantee}")
