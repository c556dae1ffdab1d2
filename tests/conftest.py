"""Shared fixtures: the embedded corpus, the in-process reference run every backend must
match byte for byte, and the SLURM gate."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import SHARD_SIZE, output_bytes, run_cli

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


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded corpus prepared in-process (``parallel=none``), 5 items per shard."""
    out = tmp_path_factory.mktemp("reference") / "exp"
    proc = run_cli(f"output_dir={out}", SHARD_SIZE, "parallel=none")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="session")
def reference_bytes(reference_run: Path) -> dict[str, bytes]:
    """:func:`reference_run`'s outputs as comparable bytes (see ``output_bytes``)."""
    return output_bytes(reference_run)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fault/bad-input matrix gathered by the reliability tests."""
    from tests.matrix import ROWS

    if not ROWS:
        return
    width = max(len(r[0]) for r in ROWS)
    terminalreporter.section("reliability matrix")
    for scenario, outcome, guarantee in ROWS:
        terminalreporter.write_line(f"{scenario:<{width}} | {outcome:<28} | {guarantee}")
