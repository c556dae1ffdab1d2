"""Hypothesis profiles for the generated matrices.

``make test`` uses the ``quick`` profile: few, derandomized examples per key and input
file (the whole package stays within about a minute). ``make fuzz`` sets
``ESPNET3_PREP_FUZZ=1``: the ``fuzz`` profile, random examples (``ESPNET3_PREP_FUZZ_EXAMPLES``
per key and test, default 20: ~10 minutes on 2 cores), every value class for every key.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

FUZZ = os.environ.get("ESPNET3_PREP_FUZZ") == "1"
_COMMON = {"deadline": None, "database": None,
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                     HealthCheck.data_too_large]}
settings.register_profile("quick", max_examples=1, derandomize=True,
                          phases=(Phase.explicit, Phase.generate), **_COMMON)
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("ESPNET3_PREP_FUZZ_EXAMPLES", "20")), **_COMMON)
settings.load_profile("fuzz" if FUZZ else "quick")
