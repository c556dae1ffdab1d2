"""Speed of the numpy extractors vs torchaudio.compliance.kaldi on one thread.

Not collected by pytest. Run: ``python tests/features/bench_features.py`` (from the repo
root). Timings alternate between the two implementations and report the minimum per call
over many rounds, which is robust to a noisy machine.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from espnet3_prep.features import build_feature  # noqa: E402
from espnet3_prep.torchaudio_compat import import_torchaudio  # noqa: E402

CASES: list[tuple[str, dict]] = [
    ("fbank", {}),
    ("fbank", {"use_energy": True}),
    ("mfcc", {}),
    ("fbank", {"dither": 1.0}),
]


def _best(func: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        func()
    return (time.perf_counter() - start) / calls


def main(rounds: int = 25) -> None:
    """Print per-call times and the torchaudio/ours ratio for 2 s and 15 s inputs."""
    kaldi = import_torchaudio().compliance.kaldi
    torch.set_num_threads(1)
    threadpool_limits(1)
    rng = np.random.default_rng(0)
    for kind, opts in CASES:
        extractor = build_feature({"type": kind, **opts})
        ta_opts = {"num_mel_bins": 80, **opts} if kind == "fbank" else dict(opts)
        for seconds in (2, 15):
            wave = (0.1 * rng.standard_normal(16000 * seconds)).astype(np.float32)
            tensor = torch.from_numpy(wave * 32768.0)[None]

            def ours(w: np.ndarray = wave, e: object = extractor) -> object:
                return e.extract(w, 16000, seed=0)

            def ref(t: torch.Tensor = tensor, k: str = kind, o: dict = ta_opts) -> object:
                return getattr(kaldi, k)(t, **o)

            calls = 40 if seconds == 2 else 6
            t_ours, t_ref = float("inf"), float("inf")
            for _ in range(rounds):
                t_ref = min(t_ref, _best(ref, calls))
                t_ours = min(t_ours, _best(ours, calls))
            print(
                f"{kind:5s} {opts!s:22s} {seconds:2d}s  torchaudio {t_ref * 1e3:7.3f} ms  "
                f"ours {t_ours * 1e3:7.3f} ms  ratio {t_ref / t_ours:5.2f}x"
            )


if __name__ == "__main__":
    main()
