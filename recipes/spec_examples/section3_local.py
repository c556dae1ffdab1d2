"""Spec section 3, "Running locally", as written (``espnet3`` -> ``espnet3_prep``).

    cd recipes/spec_examples && python section3_local.py [dataset.limit=4]

Prints the runner's results as JSON; features land in ``exp/data/<utt_id>.npy``.
"""

from omegaconf import OmegaConf
from spec_prep import PrepProvider, PrepRunner, apply_cli, print_json

if __name__ == "__main__":
    cfg = OmegaConf.load("prep.yaml")
    cfg = apply_cli(cfg)  # not in the spec: command-line overrides
    provider = PrepProvider(cfg, params={"output_dir": "exp/data"})
    runner = PrepRunner(provider)

    indices = list(range(len(provider.build_env_local()["dataset"])))
    results = runner(indices)  # returns a list of metadata dictionaries
    print_json(results)
