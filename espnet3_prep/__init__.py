"""espnet3-prep: ESPnet3-style Provider/Runner speech data preparation.

The spec's API, at the spec's module paths with ``espnet3_prep`` for ``espnet3``::

    from espnet3_prep.runner.inference_provider import InferenceProvider
    from espnet3_prep.runner.base_runner import BaseRunner
    from espnet3_prep.parallel import set_parallel
"""

from espnet3_prep.execution.sinks import Dropped
from espnet3_prep.parallel import get_parallel_config, set_parallel
from espnet3_prep.runner.base_runner import BaseRunner
from espnet3_prep.runner.env_provider import EnvironmentProvider
from espnet3_prep.runner.inference_provider import InferenceProvider

__version__ = "0.1.0"
__all__ = [
    "BaseRunner",
    "Dropped",
    "EnvironmentProvider",
    "InferenceProvider",
    "get_parallel_config",
    "set_parallel",
    "__version__",
]
