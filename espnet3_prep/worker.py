"""``python -m espnet3_prep.worker SPEC [SPEC ...]`` — kept for job scripts that embed it.

The detached job's body lives in :mod:`espnet3_prep.backends.detached.job`; job scripts of
existing outputs (and new ones: it is the stable entry name) call this module.
"""

from __future__ import annotations

import sys

from espnet3_prep.backends.detached.job import main, run_specs, submitit_entry

__all__ = ["main", "run_specs", "submitit_entry"]

if __name__ == "__main__":
    sys.exit(main())
