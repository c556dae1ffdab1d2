"""``report.html`` (self-contained, valid, showing stats.json's numbers) and the terminal
details printed at the end of ``action=run``."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from espnet3_prep.report import finish_report, write_report
from tests.helpers import run_cli

SPLITS = ("dev-clean-2", "train-clean-5")
VOID = {"meta", "img", "br", "hr", "link", "input"}


class Page(HTMLParser):
    """Collects text, tags, image sources and checks that tags are balanced."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.stats_json = ""
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img":
            self.images.append(found.get("src") or "")
        self.links += [v for k, v in attrs if k in ("href", "src") and tag != "img" and v]
        if tag not in VOID:
            self.stack.append(tag if tag != "script" or found.get("id") != "stats" else "stats")

    def handle_endtag(self, tag: str) -> None:
        top = self.stack.pop() if self.stack else None
        if (top if top != "stats" else "script") != tag:
            self.errors.append(f"</{tag}> closes <{top}>")

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "stats":
            self.stats_json += data
        else:
            self.text.append(data)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("report") / "exp"
    proc = run_cli(f"output_dir={out}", "cleaner.max_duration=3", "runner.shard_size=5")
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def _parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def test_report_is_valid_self_contained_html(run: tuple[Path, str]) -> None:
    out, _ = run
    page = _parse(out / "report.html")
    assert page.errors == [] and page.stack == []
    assert len(page.images) == 4  # drops, durations, frames, shard timing
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    assert page.links == []  # nothing to fetch: opens offline


def test_report_shows_the_numbers_of_stats_json(run: tuple[Path, str]) -> None:
    out, _ = run
    page = _parse(out / "report.html")
    cells = [t.strip() for t in page.text if t.strip()]
    stats = {s: json.loads((out / s / "stats.json").read_text()) for s in SPLITS}
    assert json.loads(page.stats_json) == stats
    for split, row in stats.items():
        at = cells.index(split)
        assert cells[at + 1:at + 8] == [str(row["inputs"]), str(row["kept"]),
                                        str(row["dropped"]), str(row["failed"]),
                                        f"{row['hours_in']:.4f}", f"{row['hours_out']:.4f}",
                                        str(row["frames"])]
        assert row["drop_reasons"] == {"too_long": row["dropped"]} and row["dropped"] > 0
    assert "too_long" in cells
    shard_rows = sum(len(row["shards"]) for row in stats.values())
    assert shard_rows == 8  # shard_size=5: 3 + 5 shards, each with its own table row


def test_terminal_details_follow_the_summary(run: tuple[Path, str]) -> None:
    out, stdout = run
    for needle in ("dropped by reason", "too_long", "kept durations", "frames per utterance",
                   "throughput and shard timing", f"report: {out / 'report.html'}"):
        assert needle in stdout, needle
    assert stdout.index("x real time") < stdout.index("kept durations")


def test_report_from_disk_and_failures_are_not_fatal(run: tuple[Path, str],
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run
    before = (out / "report.html").read_text()
    assert json.loads(_parse(write_report(out)).stats_json) == json.loads(_parse(
        out / "report.html").stats_json)

    def broken(*args: object) -> str:
        raise RuntimeError("no fonts")

    monkeypatch.setattr("espnet3_prep.report.charts.duration_histogram", broken)
    (out / "report.html").write_text(before)
    assert finish_report(out, None) is None  # logged, not raised: the data is complete
    assert "report:" not in capsys.readouterr().out
    assert (out / "report.html").read_text() == before  # the old report is left intact
