"""Spec section 5, "Asynchronous shards for large jobs", as a single script: the provider
and runner are defined here (in ``__main__``), as ESPnet3 users write them; the helpers
come from ``spec_prep.py`` next to this file. Detached jobs import this script by its
file name with its folder on ``sys.path``, so the code that submits must sit under
``if __name__ == "__main__":``.

    cd recipes/spec_examples && python section5_async.py parallel=slurm   # or local, none

Prints the job list as JSON and returns at once; ``results/shards/NNNNN/DONE`` appears
per finished shard, the features in ``exp/async/<utt_id>.npy``.
"""

from omegaconf import DictConfig, OmegaConf
from spec_prep import (
    apply_cli,
    build_feature_pipeline,
    load_raw_samples,
    print_json,
    save_features,
)

from espnet3_prep.parallel import set_parallel
from espnet3_prep.runner.base_runner import BaseRunner
from espnet3_prep.runner.inference_provider import InferenceProvider


class PrepProvider(InferenceProvider):
    @staticmethod
    def build_dataset(cfg: DictConfig):
        # Load raw manifests and return a list/sequence of samples.
        return load_raw_samples(cfg.dataset)

    @staticmethod
    def build_model(cfg: DictConfig):
        # Optional: build reusable helpers (feature extractor, normaliser, …).
        return build_feature_pipeline(cfg.model)


class PrepRunner(BaseRunner):
    @staticmethod
    def forward(idx: int, *, dataset, model, cleaner=None, output_dir=None):
        sample = dataset[idx]
        feats = model.extract(sample["audio"], sr=sample["sr"])

        if cleaner is not None:
            sample = cleaner(sample)
            if sample is None:  # filtered out
                return None

        save_features(sample["utt_id"], feats, output_dir)
        return {
            "utt_id": sample["utt_id"],
            "features": feats.shape,
        }


if __name__ == "__main__":
    cfg = OmegaConf.load("prep.yaml")
    cfg = apply_cli(cfg)  # not in the spec: command-line overrides
    provider = PrepProvider(cfg, params={"output_dir": "exp/async"})
    total_items = len(provider.build_env_local()["dataset"])
    set_parallel(cfg.parallel)

    async_runner = PrepRunner(
        provider,
        async_mode=True,
        async_specs_dir="./specs",
        async_result_dir="./results",
    )
    job_meta = async_runner(range(total_items))
    print_json(job_meta)
