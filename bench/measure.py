"""In-process measurements: the decode-only bound and our fbank vs torchaudio's.

Every timing is the best (minimum) of several interleaved repetitions, which is robust to
other processes loading the machine; both sides of a ratio are measured in the same rounds.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from omegaconf import OmegaConf

REPO = Path(__file__).resolve().parents[1]
FBANK_YAML = REPO / "espnet3_prep" / "conf" / "feature" / "fbank.yaml"


def one_thread() -> None:
    """Pin BLAS/OpenMP and torch to one thread (the measurements are per core)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    import torch

    torch.set_num_threads(1)


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best_of(fns: dict[str, Callable[[], object]], reps: int) -> dict[str, float]:
    """Minimum wall time of each function over ``reps`` interleaved rounds."""
    best = {name: float("inf") for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            best[name] = min(best[name], timed(fn))
    return best


def decode_bound(files: Sequence[str], reps: int) -> dict[str, float]:
    """Seconds to decode every file with ``soundfile.read`` (float32, and int16 for info)."""
    def read(dtype: str) -> Callable[[], None]:
        def run() -> None:
            for path in files:
                sf.read(path, dtype=dtype)
        return run

    return best_of({"float32": read("float32"), "int16": read("int16")}, reps)


def fbank_options() -> dict[str, Any]:
    """The project's default ``feature=fbank`` options (conf/feature/fbank.yaml)."""
    options = OmegaConf.to_container(OmegaConf.load(FBANK_YAML), resolve=True)
    assert isinstance(options, dict)  # a mapping file
    return {str(k): v for k, v in options.items()}


def _torchaudio_fbank(options: dict[str, Any]) -> Callable[[np.ndarray, Any], np.ndarray]:
    """``torchaudio.compliance.kaldi.fbank`` with the same options as ours."""
    import torch

    from espnet3_prep.torchaudio_compat import import_torchaudio

    kaldi = import_torchaudio().compliance.kaldi
    opts = {k: v for k, v in options.items() if k not in ("type", "sample_rate",
                                                          "waveform_scale")}
    opts["sample_frequency"] = float(options["sample_rate"])
    scale = options["waveform_scale"]

    def run(wave: np.ndarray, dtype: Any = np.float32) -> np.ndarray:
        tensor = torch.from_numpy(wave.astype(dtype) * dtype(scale))[None]
        return kaldi.fbank(tensor, **opts).numpy()

    return run


def load_waves(files: Sequence[str]) -> list[np.ndarray]:
    """Every file decoded to float32 (in memory: the fbank timings exclude decoding)."""
    return [sf.read(path, dtype="float32")[0] for path in files]


class FbankPair:
    """Our extractor and torchaudio's with the same options, timed on the same waves."""

    def __init__(self, waves: list[np.ndarray]) -> None:
        from espnet3_prep.features import build_feature

        one_thread()
        options = fbank_options()
        self.sr = int(options["sample_rate"])
        self.ours = build_feature(options)
        self.theirs = _torchaudio_fbank(options)
        self.waves = waves

    def time_round(self) -> dict[str, float]:
        """One timing of each over every wave (call repeatedly; keep the minimum)."""
        return best_of({"ours": lambda: [self.ours.extract(w, self.sr) for w in self.waves],
                        "torchaudio": lambda: [self.theirs(w) for w in self.waves]}, 1)

    def agreement(self) -> dict[str, float]:
        """Max/quantile |ours - torchaudio|, and both against torchaudio in float64."""
        diffs, ours_64, theirs_64 = [], 0.0, 0.0
        for wave in self.waves:
            a, b = self.ours.extract(wave, self.sr), self.theirs(wave)
            exact = self.theirs(wave, np.float64)
            diffs.append(np.abs(a - b).ravel())
            ours_64 = max(ours_64, float(np.abs(a - exact).max()))
            theirs_64 = max(theirs_64, float(np.abs(b - exact).max()))
        diff = np.concatenate(diffs)
        return {"max_abs_diff": float(diff.max()),
                "q999_abs_diff": float(np.quantile(diff, 0.999)),
                "mean_abs_diff": float(diff.mean()), "ours_vs_f64": ours_64,
                "torchaudio_vs_f64": theirs_64}


def decode_and_fbank(files: Sequence[str]) -> float:
    """Seconds to decode and fbank ``files`` in this process (one thread)."""
    from espnet3_prep.execution.threads import limit_threads
    from espnet3_prep.features import build_feature

    limit_threads()
    extractor = build_feature(fbank_options())
    start = time.perf_counter()
    for path in files:
        extractor.extract(sf.read(path, dtype="float32")[0], extractor.sample_rate)
    return time.perf_counter() - start


class Capacity:
    """What 2 cores give right now: decode+fbank of the corpus in 1 process vs 2 halves.

    Measured in every round next to our pipeline, so that the (4)/(3) speedup can be read
    against what the machine delivered at that moment (other processes share the cores).
    """

    def __init__(self, files: Sequence[str], workers: int) -> None:
        self.files = list(files)
        self.workers = workers
        context = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(workers, mp_context=context)
        list(self.pool.map(decode_and_fbank, [self.files[:4]] * workers))  # imports

    def time_round(self) -> dict[str, float]:
        """Wall seconds: everything in one process, then split over ``workers`` processes."""
        one = timed(lambda: self.pool.submit(decode_and_fbank, self.files).result())
        parts = [self.files[k :: self.workers] for k in range(self.workers)]
        many = timed(lambda: list(self.pool.map(decode_and_fbank, parts)))
        return {"one": one, "many": many}

    def close(self) -> None:
        """Stop the processes."""
        self.pool.shutdown()
