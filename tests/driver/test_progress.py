"""Progress: counts, rate (resumed shards excluded) and ETA, as a rich bar or log lines."""

from __future__ import annotations

import logging
import sys

import pytest

from espnet3_prep.driver.progress import ItemProgress


def test_log_lines_carry_rate_counts_and_eta(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="espnet3_prep"), \
            ItemProgress(10, "dev", enabled=True) as progress:
        progress.skip({"kept": 4})  # a resumed shard: counted, but not in the rate
        for outcome in ("kept", "kept", "dropped", "failed"):
            progress.item(outcome)
    assert progress.completed == 8 and progress.counts["dropped"] == 1
    line = caplog.records[-1].getMessage()
    assert line.startswith("dev: 8/10 (") and "/s, dropped 1, failed 1, ETA" in line
    assert progress.rate() > 0


def test_rich_bar_shows_rate_and_live_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with ItemProgress(5, "train", enabled=True) as progress:
        progress.item("kept")
        progress.shard_done({"kept": 3, "dropped": 1})  # a shard's totals, not added twice
        task = progress._bar.tasks[0]
        assert task.completed == 4
        assert "/s dropped 1 failed 0" in task.fields["stats"]
