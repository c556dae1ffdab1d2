"""A runner module that imports at submit time but not inside a detached job (as on a
node without a library the login node has): the job fails before its shard starts."""

import sys

from tests.toy import ClipRunner

if sys.argv[0].endswith(("worker.py", "job.py")):
    raise ImportError("libcuda.so.1: cannot open shared object file (simulated node)")


class NodeRunner(ClipRunner):
    """ClipRunner, from a module jobs cannot import."""
