"""Spec section 6, "Data cleaning within the same pipeline" (``espnet3`` -> ``espnet3_prep``).

    cd recipes/spec_examples && python section6_cleaning.py parallel=local   # or slurm, none

The cleaner is a runtime argument given "when instantiating the runner" (spec section 2):
it normalises the text and drops utterances shorter than ``min_seconds`` by returning
None. Prints the kept results as JSON.
"""

from omegaconf import OmegaConf
from spec_prep import PrepProvider, PrepRunner, apply_cli, print_json

from espnet3_prep.parallel import set_parallel

MIN_SECONDS = 2.5


def clean(sample):
    """Drop short utterances (None); normalise the text of the others."""
    if len(sample["audio"]) < MIN_SECONDS * sample["sr"]:
        return None
    return {**sample, "text": " ".join(sample["text"].lower().split())}


if __name__ == "__main__":
    cfg = OmegaConf.load("prep.yaml")
    cfg = apply_cli(cfg)  # not in the spec: command-line overrides
    provider = PrepProvider(cfg, params={"output_dir": "exp/clean"})
    runner = PrepRunner(provider, cleaner=clean)
    total_items = len(provider.build_env_local()["dataset"])

    set_parallel(cfg.parallel)
    results = runner(range(total_items))  # identical on every backend
    print_json(results)
