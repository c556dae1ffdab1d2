"""A runner in ESPnet3's 2026 form (``espnet3`` -> ``espnet3_prep``): ``output_dir`` and
``shard_subdir`` in the constructor, per-shard writers that write ``<field>.scp``
fragments into each shard's folder, and ``merge`` concatenating them in shard order (as
ESPnet3's docs do for ``collect_stats``).

    cd recipes/spec_examples && python runner_2026.py parallel=local     # or none, slurm
    python runner_2026.py parallel=local async_mode=true                 # detached jobs
    python runner_2026.py parallel=local merge_only=true                 # after they finish

Prints what ``merge`` returns (the merged files) as JSON; the files land in
``exp/stats/dev/{shape,text}.scp``. A rerun skips the shards that are done; a changed
plan (e.g. ``dataset.limit=6``) is refused.
"""

from pathlib import Path

from omegaconf import OmegaConf
from spec_prep import PrepProvider, apply_cli, print_json

from espnet3_prep.parallel import set_parallel
from espnet3_prep.runner.base_runner import BaseRunner, concatenate_shard_files

FIELDS = ("shape", "text")


class ShapeRunner(BaseRunner):
    @staticmethod
    def forward(idx, *, dataset, model, **env):
        sample = dataset[idx]
        feats = model.extract(sample["audio"], sr=sample["sr"])
        return {"utt_id": sample["utt_id"], "shape": feats.shape, "text": sample["text"]}

    @staticmethod
    def open_writers(shard_dir, **env):
        return {field: open(Path(shard_dir) / f"{field}.scp", "w", encoding="utf-8")
                for field in FIELDS}

    @staticmethod
    def write_record(writers, result, state, **env):
        rows, dim = result["shape"]
        writers["shape"].write(f"{result['utt_id']} {rows},{dim}\n")
        writers["text"].write(f"{result['utt_id']} {result['text']}\n")
        state["count"] = state.get("count", 0) + 1

    def merge(self, shard_dirs):
        out = Path(self.output_dir) / self.shard_subdir
        return {field: str(out / f"{field}.scp") for field in FIELDS
                if concatenate_shard_files(shard_dirs, f"{field}.scp", out / f"{field}.scp")}


def main():
    cfg = apply_cli(OmegaConf.load("prep.yaml"))
    provider = PrepProvider(cfg)
    total_items = len(provider.build_env_local()["dataset"])
    set_parallel(cfg.parallel)
    runner = ShapeRunner(provider, output_dir="exp/stats", shard_subdir="dev",
                         resume=True, shard_size=cfg.get("shard_size", 3),
                         async_mode=bool(cfg.get("async_mode", False)))
    if cfg.get("merge_only", False):
        print_json(runner.merge_async_results())
    else:
        print_json(runner(range(total_items)))


if __name__ == "__main__":
    main()
