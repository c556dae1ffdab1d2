"""The report's charts, drawn with matplotlib (no pyplot, no display) as base64 PNG."""

from __future__ import annotations

import base64
import io
from array import array
from collections.abc import Callable, Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from espnet3_prep.report.data import SplitData

DPI = 90
SIZE = (6.4, 3.2)


def png_base64(draw: Callable[[Axes], None], size: tuple[float, float] = SIZE) -> str:
    """Draw on a fresh axes and return the PNG as base64 text."""
    figure = Figure(figsize=size, dpi=DPI)
    axes = figure.add_subplot()
    draw(axes)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _histogram(values: dict[str, Sequence[float]], xlabel: str) -> Callable[[Axes], None]:
    def draw(axes: Axes) -> None:
        shown = {name: v for name, v in values.items() if v}
        if not shown:
            axes.text(0.5, 0.5, "no data", ha="center", va="center")
            return
        axes.hist(list(shown.values()), bins=30, label=list(shown), histtype="stepfilled",
                  alpha=0.6)
        axes.set_xlabel(xlabel)
        axes.set_ylabel("utterances")
        axes.legend(fontsize="small")
    return draw


def duration_histogram(splits: list[SplitData]) -> str:
    """Kept utterance durations per split."""
    return png_base64(_histogram({s.name: s.durations for s in splits}, "duration (s)"))


def frames_histogram(splits: list[SplitData]) -> str:
    """Feature frame counts per split."""
    return png_base64(_histogram({s.name: array("d", s.frames) for s in splits},
                                 "frames per utterance"))


def shard_timing(splits: list[SplitData]) -> str:
    """Seconds per shard, one colour per split (stragglers stand out)."""
    def draw(axes: Axes) -> None:
        start = 0
        for split in splits:
            shards = split.stats.get("shards") or []
            seconds = [float(s.get("seconds") or 0.0) for s in shards]
            if seconds:  # one step artist per split: a bar each is ~2 ms per shard
                axes.stairs(seconds, range(start, start + len(seconds) + 1), fill=True,
                            label=split.name)
            start += len(seconds)
        axes.set_xlabel("shard (in split order)")
        axes.set_ylabel("seconds")
        axes.legend(fontsize="small")
    return png_base64(draw)


def drop_reasons(reasons: dict[str, int]) -> str:
    """Dropped utterances by reason (horizontal bars)."""
    def draw(axes: Axes) -> None:
        names = list(reasons)
        axes.barh(names, [reasons[n] for n in names], color="#c0504d")
        axes.set_xlabel("utterances dropped")
        axes.invert_yaxis()
    return png_base64(draw, (6.4, 0.6 + 0.35 * max(1, len(reasons))))
