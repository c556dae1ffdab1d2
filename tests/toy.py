"""The toy providers and runners of the runner, backend and contract tests (importable by
reference: workers and detached jobs load them by their class paths)."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from omegaconf import DictConfig

from espnet3_prep import BaseRunner, Dropped, InferenceProvider

MODEL_BUILDS: list[int] = []
"""One entry per ``ToyProvider.build_model`` call in this process (env builds)."""


class ToyProvider(InferenceProvider):
    """Dataset of ``cfg.n`` numbered items; the model doubles a number."""

    @staticmethod
    def build_dataset(cfg: DictConfig) -> list[dict[str, Any]]:
        return [{"utt_id": f"u{i:04d}", "x": i} for i in range(int(cfg.n))]

    @staticmethod
    def build_model(cfg: DictConfig) -> Any:
        MODEL_BUILDS.append(int(cfg.n))
        return Doubler()


class ExtrasProvider(ToyProvider):
    """Adds ``offset`` to the env through ``build_extras``."""

    @staticmethod
    def build_extras(cfg: DictConfig) -> dict[str, Any]:
        return {"offset": 5}


class BrokenProvider(ToyProvider):
    """Its dataset cannot be built (e.g. a corpus missing on the worker's node)."""

    @staticmethod
    def build_dataset(cfg: DictConfig) -> list[dict[str, Any]]:
        raise FileNotFoundError(f"no corpus at {cfg.root}")


class Doubler:
    """A picklable model that records which process built it."""

    def __init__(self) -> None:
        self.pid = os.getpid()

    def __call__(self, x: int) -> int:
        return 2 * x


class ToyRunner(BaseRunner):
    """Every 7th item filtered (None), every 11th dropped, item 5 raises (and is recorded:
    the toys test failure recording, the Python API's default is to raise)."""

    default_on_error = "record"

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any, offset: int = 0) -> Any:
        item = dataset[idx]
        if item["x"] % 7 == 3:
            return None
        if item["x"] % 11 == 4:
            return Dropped(item["utt_id"], "eleven")
        if item["x"] == 5:
            raise ValueError("five is bad")
        return {"utt_id": item["utt_id"], "y": model(item["x"]) + offset, "pid": model.pid}


class SlowToyRunner(ToyRunner):
    """:class:`ToyRunner` sleeping ``delay`` seconds (a provider param) before each item,
    so tests can kill jobs mid-run; importable, as workers and jobs load it by reference."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any, offset: int = 0,  # type: ignore[override]
                delay: float = 0.0) -> Any:
        time.sleep(delay)
        return ToyRunner.forward(idx, dataset=dataset, model=model, offset=offset)


class BatchRunner(BaseRunner):
    """forward receives lists of indices."""

    @staticmethod
    def forward(idx: list[int], *, dataset: Any, model: Any) -> list[Any]:
        return [{"idx": i, "len": len(idx)} for i in idx]


def expected(n: int, offset: int = 0) -> list[int]:
    """The ``y`` values ToyRunner keeps for ``range(n)``."""
    return [2 * x + offset for x in range(n) if x % 7 != 3 and x % 11 != 4 and x != 5]


class DyingToyRunner(ToyRunner):
    """:class:`ToyRunner` that kills its own process (SIGKILL, like the OOM killer) when it
    reaches item 7."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any, offset: int = 0) -> Any:
        if idx == 7:
            os.kill(os.getpid(), signal.SIGKILL)
        return ToyRunner.forward(idx, dataset=dataset, model=model, offset=offset)


class ContractRunner(ToyRunner):
    """:class:`ToyRunner` without the worker's pid in its results, so every backend's shard
    files are byte for byte the in-process ones (the backend contract)."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any, offset: int = 0) -> Any:
        out = ToyRunner.forward(idx, dataset=dataset, model=model, offset=offset)
        return {k: v for k, v in out.items() if k != "pid"} if isinstance(out, dict) else out


class RankRunner(BaseRunner):
    """Returns the rank variables its (detached) job sees."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any) -> Any:
        names = ("RANK", "WORLD_RANK", "WORLD_SIZE", "LOCAL_RANK")
        return {"idx": idx, **{name: os.environ.get(name) for name in names}}


class ClipProvider(ToyProvider):
    """ESPnet3's recommended shape: the data comes in the constructor (issue 21)."""

    def __init__(self, config: Any, examples: list[dict[str, Any]]) -> None:
        super().__init__(config)
        self.examples = examples

    def build_env_local(self) -> dict[str, Any]:
        return {"dataset": self.examples, "model": Doubler()}

    def make_worker_setup_fn(self) -> Any:
        examples = self.examples
        return lambda: {"dataset": examples, "model": Doubler()}


class Vocab:
    """Constructor data that is not JSON (a user's own object)."""

    def __init__(self, words: list[str]) -> None:
        self.words = words


class HookProvider(ClipProvider):
    """Non-JSON constructor data, rebuilt through the documented to_spec/from_spec hooks."""

    def __init__(self, config: Any, vocab: Vocab) -> None:
        super().__init__(config, [{"utt_id": w, "text": w} for w in vocab.words])
        self.vocab = vocab

    def to_spec(self) -> dict[str, Any]:
        return {"config": dict(self.config), "words": self.vocab.words}

    @classmethod
    def from_spec(cls, data: dict[str, Any]) -> HookProvider:
        return cls(data["config"], Vocab(data["words"]))


class ClipRunner(BaseRunner):
    """Upper-cases the text of a constructor-provided example."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any) -> Any:
        return {"utt_id": dataset[idx]["utt_id"], "text": dataset[idx]["text"].upper()}


class ScpRunner(BaseRunner):
    """ESPnet3's 2026 form on the toy data: one ``x.scp`` fragment per shard, merged."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any) -> Any:
        return {"utt_id": dataset[idx]["utt_id"], "y": model(dataset[idx]["x"])}

    @staticmethod
    def open_writers(shard_dir: Any, **env: Any) -> dict[str, Any]:
        return {"x": open(os.path.join(shard_dir, "x.scp"), "w", encoding="utf-8")}

    @staticmethod
    def write_record(writers: dict[str, Any], result: Any, state: dict[str, Any],
                     **env: Any) -> None:
        writers["x"].write(f"{result['utt_id']} {result['y']} {env['shard_id']}\n")

    def merge(self, shard_dirs: list[Any]) -> Any:
        from espnet3_prep.runner.base_runner import concatenate_shard_files
        out = self.output_dir / "x.scp"
        concatenate_shard_files(shard_dirs, "x.scp", out)
        return out.read_text(encoding="utf-8")


def keep_even(item: dict[str, Any]) -> bool:
    """A cleaner given as a runner keyword (spec section 6): keeps even items."""
    return item["x"] % 2 == 0


class CleanerRunner(BaseRunner):
    """Runs an optional ``cleaner`` runner keyword on each item (spec sections 2 and 6)."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any, cleaner: Any = None) -> Any:
        item = dataset[idx]
        if cleaner is not None and not cleaner(item):
            return None
        return {"utt_id": item["utt_id"], "y": model(item["x"])}
