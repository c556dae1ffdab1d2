"""Spec section 4, "Scaling out with Dask", as written (``espnet3`` -> ``espnet3_prep``).

    cd recipes/spec_examples && python section4_dask.py parallel=local   # or slurm, none

``prep.yaml``'s ``parallel`` section is the spec's, adapted to this machine's SLURM;
``parallel=NAME`` takes ``parallel/NAME.yaml`` instead. Prints the results as JSON.
"""

from omegaconf import OmegaConf
from spec_prep import PrepProvider, PrepRunner, apply_cli, print_json

from espnet3_prep.parallel import set_parallel

if __name__ == "__main__":
    cfg = OmegaConf.load("prep.yaml")
    cfg = apply_cli(cfg)  # not in the spec: command-line overrides
    provider = PrepProvider(cfg, params={"output_dir": "exp/data"})
    runner = PrepRunner(provider)
    total_items = len(provider.build_env_local()["dataset"])

    set_parallel(cfg.parallel)
    results = runner(range(total_items))  # transparently runs on the cluster
    print_json(results)
